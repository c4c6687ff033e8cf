// credentials.unauthenticated-admin: a web admin interface or management API that answers anyone,
// with no login at all. Such a device has, in effect, one universal default credential: none.
import type { Service } from "../../core/facts.js";
import type { Check, FindingInput, Outcome } from "../../core/types.js";
import { stackRequests } from "../surface/http-stacks.js";

const CAPABILITY: Record<string, string> = {
  "deploy-code": "anyone on the network can deploy code to it",
  configure: "anyone on the network can change its settings",
  "read-configuration": "anyone on the network can read its configuration",
};

const isHttp = (s: Service) => s.http !== undefined;

export const unauthenticatedAdmin: Check = {
  id: "credentials.unauthenticated-admin",
  title: "Management interfaces without authentication",
  description:
    "Fails when a web admin page or management API of the device answers a client that sent no credentials: " +
    "Node-RED's Admin HTTP API without adminAuth (anyone can deploy flows, which run code: critical), an admin page " +
    "with a settings form and no login in front of it, and the other endpoints of harness/data/http-management.yaml. " +
    "Uses the GETs of the service identification (never a POST, never a deploy); sends nothing itself.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.services"],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const services = ctx.facts.get("tcp.services");
    if (!services) return { verdict: "inconclusive", summary: "no services were identified" };
    const web = services.filter(isHttp);
    if (web.length === 0) return { verdict: "not-applicable", summary: "no web interface on the device" };
    const address = ctx.device.network!.address;
    const findings: FindingInput[] = web.flatMap((s) => (s.management ?? []).map((m) => ({
      severity: m.severity,
      title: `${m.title} on port ${s.port}/${s.name}: ${CAPABILITY[m.capability] ?? m.capability}`,
      target: { transport: "tcp" as const, address, port: s.port, service: s.name },
      evidence: { rule: m.rule, capability: m.capability, paths: m.paths, ...(m.product ? { product: m.product } : {}) },
    })));
    if (findings.length) {
      return { verdict: "fail", summary: `open to anyone: ${findings.map((f) => `${f.target!.port} ${(f.evidence as { paths: string[] }).paths.join(", ")}`).join("; ")}`, findings };
    }
    // A web port none of whose pages answered (every GET timed out or was cut) was not judged
    const silent = web.filter((s) => s.http!.length === 0).map((s) => s.port);
    if (silent.length) return { verdict: "inconclusive", summary: `no page answered on port${silent.length > 1 ? "s" : ""} ${silent.join(", ")}` };
    return { verdict: "pass", summary: `${web.length} web interface${web.length > 1 ? "s" : ""}: none of the ${stackRequests().length} management endpoints asked answers without a login` };
  },
};
