// surface.undeclared-ports: open ports the manufacturer did not declare.
import type { Check, FindingInput, Outcome } from "../../core/types.js";

export const undeclaredPorts: Check = {
  id: "surface.undeclared-ports",
  title: "Open ports the manufacturer did not declare",
  description:
    "Compares the open TCP ports with the descriptor's declared.openPorts (the manufacturer's list of interfaces " +
    "in use); every open port not declared is a finding, since an unused interface should be disabled. " +
    "Declared ports found closed are noted as information.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.open", "tcp.services"],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const open = ctx.facts.get("tcp.open");
    if (!open) return { verdict: "inconclusive", summary: "the port scan found no open port" };
    const services = new Map((ctx.facts.get("tcp.services") ?? []).map((s) => [s.port, s]));
    const declaredList = ctx.device.declared?.openPorts;
    const declared = new Set((declaredList ?? []).filter((p) => p.endsWith("/tcp")).map((p) => Number.parseInt(p, 10)));
    const address = ctx.device.network!.address;
    const undeclared = open.filter((p) => !declared.has(p.port));
    const openSet = new Set(open.map((p) => p.port));
    const closed = [...declared].filter((p) => !openSet.has(p));

    const findings: FindingInput[] = undeclared.map((p) => {
      const service = services.get(p.port)?.name;
      return {
        severity: "medium",
        title: `port ${p.port}/tcp${service ? ` (${service})` : ""} is open but not declared`,
        target: { transport: "tcp", address, port: p.port, ...(service ? { service } : {}) },
        evidence: p.banner ? { banner: p.banner } : {},
      };
    });
    if (closed.length) findings.push({
      severity: "info",
      title: `declared port${closed.length > 1 ? "s" : ""} ${closed.join(", ")}/tcp found closed`,
      target: { transport: "tcp", address },
      evidence: { ports: closed },
    });

    if (undeclared.length === 0) return { verdict: "pass", summary: `all ${open.length} open ports are declared`, findings };
    const note = declaredList ? "" : " (the descriptor declares no open ports)";
    return { verdict: "fail", summary: `${undeclared.length} undeclared open port(s): ${undeclared.map((p) => p.port).join(", ")}${note}`, findings };
  },
};
