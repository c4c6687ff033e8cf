// report.sarif: SARIF 2.1.0, one result per finding, so code-scanning dashboards and CI
// annotations can show a firmware build's findings. A device has no source files: a result is
// located by a logical location (address, port, service) instead of a file and line.
import { createHash } from "node:crypto";
import type { Report } from "../harness/core/report.js";
import type { Finding, Severity, Target } from "../harness/core/types.js";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};

// GitHub code scanning reads this to rank results (0.0–10.0).
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "0.0" };

function where(target: Target | undefined, address: string | undefined): { name: string; fullyQualifiedName: string; kind: string } {
  const host = target?.address ?? address ?? "device";
  const port = target?.port === undefined ? "" : `:${target.port}`;
  const service = target?.service ? ` ${target.service}` : "";
  const name = `${target?.transport ?? "device"}${port}${service}`;
  return { name, fullyQualifiedName: `${host}${port}/${target?.transport ?? "device"}${service}`, kind: "resource" };
}

/** Stable across runs of the same device: what was found where, not when. */
function fingerprint(f: Finding): string {
  const key = [f.check, f.title, f.target?.transport ?? "", f.target?.port ?? "", f.target?.service ?? ""].join("\u0000");
  return createHash("sha256").update(key).digest("hex");
}

export function renderSarif(report: Report): string {
  const titles = new Map(report.checks.map((c) => [c.id, c.title]));
  const ruleIds = [...new Set([...report.checks.map((c) => c.id), ...report.findings.map((f) => f.check)])];
  const provisionsOf = (check: string) => report.provisions.filter((p) => p.checks.includes(check)).map((p) => p.id);
  const rules = ruleIds.map((id) => ({
    id,
    name: id,
    shortDescription: { text: titles.get(id) ?? id },
    properties: { provisions: provisionsOf(id), tags: ["security", "iot"] },
  }));
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  const results = report.findings.map((f) => ({
    ruleId: f.check,
    ruleIndex: index.get(f.check)!,
    level: LEVEL[f.severity] ?? "warning",
    message: { text: f.title },
    locations: [{ logicalLocations: [where(f.target, report.device.address)] }],
    partialFingerprints: { "iotcertFinding/v1": fingerprint(f) },
    properties: { severity: f.severity, "security-severity": SECURITY_SEVERITY[f.severity] ?? "5.0", provisions: provisionsOf(f.check) },
  }));
  const d = report.device;
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{
      tool: { driver: { name: "iotcert", version: report.harness.version, rules } },
      automationDetails: { id: `iotcert/${report.profile.id}/${d.id}/` },
      invocations: [{
        executionSuccessful: report.complete, startTimeUtc: report.startedAt, endTimeUtc: report.finishedAt,
        // Why the run is not a certification (interrupted, or the device never reached), where code-scanning UIs show tool problems.
        ...(report.incompleteReason ? { toolExecutionNotifications: [{ level: "error", message: { text: report.incompleteReason } }] } : {}),
      }],
      results,
      properties: {
        device: { id: d.id, vendor: d.vendor, model: d.model, firmware: d.firmware },
        profile: report.profile.id,
        label: report.label.level,
        heldBy: report.label.heldBy,
      },
    }],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
