// surface.version-disclosure: software versions handed to anyone who connects, before any login.
import type { Check, FindingInput, Outcome } from "../../core/types.js";

/** A product string that carries a version number ("dropbear_2022.83", "lighttpd/1.4.69"). */
const VERSIONED = /\d+\.\d+/;

export const versionDisclosure: Check = {
  id: "surface.version-disclosure",
  title: "Software versions disclosed without authentication",
  description:
    "Fails when a network service tells an unauthenticated client the exact software version it runs (SSH " +
    "identification, FTP or telnet banners, HTTP Server headers), which lets an attacker look up known " +
    "vulnerabilities without logging in. Uses the service identification; sends nothing itself.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.services"],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const found = ctx.facts.get("tcp.services");
    if (!found) return { verdict: "inconclusive", summary: "no services were identified" };
    const findings: FindingInput[] = found
      .filter((s) => s.product && VERSIONED.test(s.product))
      .map((s) => ({
        severity: "low",
        title: `${s.name} on port ${s.port} discloses its version`,
        target: { transport: "tcp", address: ctx.device.network!.address, port: s.port, service: s.name },
        evidence: { product: s.product },
      }));
    if (findings.length === 0) return { verdict: "pass", summary: `no version disclosed by ${found.length} services` };
    return { verdict: "fail", summary: `versions disclosed on ports ${findings.map((f) => f.target!.port).join(", ")}`, findings };
  },
};
