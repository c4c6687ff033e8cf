// surface.debug-services: shells, debuggers and consoles reachable over the network.
import { loadData } from "../../core/data.js";
import type { Check, FindingInput, Outcome } from "../../core/types.js";

const knownDebugServices = () =>
  new Map(loadData<{ services: { name: string; why: string }[] }>("debug-services.yaml").services.map((s) => [s.name, s.why]));

export const debugServices: Check = {
  id: "surface.debug-services",
  title: "Debug services reachable over the network",
  description:
    "Fails when the device exposes a debugging or maintenance service on the network — telnet, ADB, gdbserver, an " +
    "unauthenticated console, and the others in harness/data/debug-services.yaml — since each gives a shell or " +
    "raw access. Uses the service identification (including services inside TLS); sends nothing itself.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.services"],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const found = ctx.facts.get("tcp.services");
    if (!found) return { verdict: "inconclusive", summary: "no services were identified" };
    const known = knownDebugServices();
    const findings: FindingInput[] = [];
    for (const s of found) {
      const base = s.name.replace(/\+tls$/, "");
      const why = known.get(base);
      if (why) findings.push({
        severity: "high",
        title: `debug service ${base} on port ${s.port}`,
        target: { transport: "tcp", address: ctx.device.network!.address, port: s.port, service: s.name },
        evidence: { why, ...(s.banner ? { banner: s.banner } : {}), ...(s.product ? { product: s.product } : {}) },
      });
    }
    if (findings.length === 0) return { verdict: "pass", summary: `no debug service among ${found.length} services` };
    return { verdict: "fail", summary: `debug services on ports ${findings.map((f) => f.target!.port).join(", ")}`, findings };
  },
};
