// surface.cleartext-services: logins and admin interfaces that travel without TLS.
import type { Service } from "../../core/facts.js";
import type { Check, FindingInput, Outcome } from "../../core/types.js";

function cleartextLogin(s: Service): string | undefined {
  if (s.tls) return undefined;
  if (s.name === "telnet") return "telnet sends the login and everything after it in cleartext";
  if (s.name === "ftp") return "FTP sends the login and the files in cleartext";
  if (s.name === "console") return "an unauthenticated console is served in cleartext";
  const admin = s.http?.find((p) => p.authScheme || p.loginForm);
  if (s.name === "http" && admin) {
    const how = admin.authScheme ? `HTTP ${admin.authScheme} authentication` : "a login form";
    return `the admin interface at ${admin.path} asks for ${how} over plain HTTP`;
  }
  return undefined;
}

export const cleartextServices: Check = {
  id: "surface.cleartext-services",
  title: "Logins and admin interfaces without TLS",
  description:
    "Fails when the device serves telnet, FTP, an unauthenticated console, or an HTTP admin interface (a 401 login " +
    "or a password form) without TLS, where anyone on the network can read the credentials. Uses the service " +
    "identification; sends nothing itself.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.services"],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const found = ctx.facts.get("tcp.services");
    if (!found) return { verdict: "inconclusive", summary: "no services were identified" };
    const findings: FindingInput[] = [];
    for (const s of found) {
      const why = cleartextLogin(s);
      if (why) findings.push({
        severity: "high",
        title: `${s.name} on port ${s.port} without TLS`,
        target: { transport: "tcp", address: ctx.device.network!.address, port: s.port, service: s.name },
        evidence: { why, ...(s.banner ? { banner: s.banner } : {}) },
      });
    }
    if (findings.length === 0) {
      return { verdict: "pass", summary: `no cleartext login among ${found.length} services` };
    }
    return { verdict: "fail", summary: `cleartext logins on ports ${findings.map((f) => f.target!.port).join(", ")}`, findings };
  },
};
