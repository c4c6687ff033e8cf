// surface.version-disclosure: software versions handed to anyone who connects, before any login.
import type { Check, FindingInput, Outcome } from "../../core/types.js";

/** A product string that carries a version number ("dropbear_2022.83", "lighttpd/1.4.69"). */
const VERSIONED = /\d+\.\d+/;

export const versionDisclosure: Check = {
  id: "surface.version-disclosure",
  title: "Software versions disclosed without authentication",
  description:
    "Fails when a network service tells an unauthenticated client the exact software version it runs (SSH " +
    "identification, FTP or telnet banners, HTTP Server headers, SNMP sysDescr, SSDP SERVER), which lets an attacker look up known " +
    "vulnerabilities without logging in. Uses the service identification; sends nothing itself.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.services", "udp.services"],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const tcp = ctx.facts.get("tcp.services");
    if (!tcp) return { verdict: "inconclusive", summary: "no services were identified" };
    const udp = ctx.facts.get("udp.services") ?? [];
    const address = ctx.device.network!.address;
    const findings: FindingInput[] = [
      ...tcp.map((s) => ({ ...s, proto: "tcp" as const, name: s.name })),
      ...udp.map((s) => ({ ...s, proto: "udp" as const, name: s.service })),
    ]
      .filter((s) => s.product && VERSIONED.test(s.product))
      .map((s) => ({
        severity: "low",
        title: `${s.name} on port ${s.port}/${s.proto} discloses its version`,
        target: { transport: s.proto, address, port: s.port, service: s.name },
        evidence: { product: s.product },
      }));
    const total = tcp.length + udp.length;
    if (findings.length === 0) return { verdict: "pass", summary: `no version disclosed by ${total} services` };
    return { verdict: "fail", summary: `versions disclosed on ports ${findings.map((f) => `${f.target!.port}/${f.target!.transport}`).join(", ")}`, findings };
  },
};
