// surface.undeclared-ports: open ports the manufacturer did not declare.
import type { Check, FindingInput, Outcome } from "../../core/types.js";

export const undeclaredPorts: Check = {
  id: "surface.undeclared-ports",
  title: "Open ports the manufacturer did not declare",
  description:
    "Compares the open TCP ports and the UDP services that answered with the descriptor's declared.openPorts (the " +
    "manufacturer's list of interfaces in use); every open port not declared is a finding, since an unused " +
    "interface should be disabled. Declared TCP ports found closed are noted as information.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.open", "tcp.services", "udp.services"],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const open = ctx.facts.get("tcp.open");
    if (!open) return { verdict: "inconclusive", summary: "the port scan found no open port" };
    const services = new Map((ctx.facts.get("tcp.services") ?? []).map((s) => [s.port, s]));
    const udp = ctx.facts.get("udp.services") ?? [];
    const declaredList = ctx.device.declared?.openPorts ?? [];
    const declaredOn = (proto: "tcp" | "udp") =>
      new Set(declaredList.filter((p) => p.endsWith(`/${proto}`)).map((p) => Number.parseInt(p, 10)));
    const [declaredTcp, declaredUdp] = [declaredOn("tcp"), declaredOn("udp")];
    const address = ctx.device.network!.address;
    const undeclared = [
      ...open.filter((p) => !declaredTcp.has(p.port)).map((p) => ({ proto: "tcp" as const, port: p.port, service: services.get(p.port)?.name, banner: p.banner })),
      ...udp.filter((u) => !declaredUdp.has(u.port)).map((u) => ({ proto: "udp" as const, port: u.port, service: u.service, banner: u.banner })),
    ];
    const openSet = new Set(open.map((p) => p.port));
    const closed = [...declaredTcp].filter((p) => !openSet.has(p));

    const findings: FindingInput[] = undeclared.map((p) => ({
      severity: "medium",
      title: `port ${p.port}/${p.proto}${p.service ? ` (${p.service})` : ""} is open but not declared`,
      target: { transport: p.proto, address, port: p.port, ...(p.service ? { service: p.service } : {}) },
      evidence: p.banner ? { banner: p.banner } : {},
    }));
    if (closed.length) findings.push({
      severity: "info",
      title: `declared port${closed.length > 1 ? "s" : ""} ${closed.join(", ")}/tcp found closed`,
      target: { transport: "tcp", address },
      evidence: { ports: closed },
    });

    const total = open.length + udp.length;
    if (undeclared.length === 0) return { verdict: "pass", summary: `all ${total} open ports are declared`, findings };
    const note = ctx.device.declared?.openPorts ? "" : " (the descriptor declares no open ports)";
    const list = undeclared.map((p) => `${p.port}/${p.proto}`).join(", ");
    return { verdict: "fail", summary: `${undeclared.length} undeclared open port(s): ${list}${note}`, findings };
  },
};
