// junit.xml: one test case per provision, so a CI server shows which provisions a firmware build
// meets. fail → <failure>, inconclusive or error → <error> (not established is not met), not
// applicable → <skipped>. Hand-written rather than through a builder: it is a dozen elements, and
// escapeHtml is already what keeps a hostile device's strings valid XML in label.svg.
import type { ProvisionResult, Report } from "../harness/core/report.js";
import type { Finding } from "../harness/core/types.js";
import { escapeHtml as x } from "./escape.js";

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function findingLines(findings: Finding[]): string {
  return findings.map((f) => `[${f.severity}] ${f.check}: ${f.title}`).join("\n");
}

function testcase(report: Report, p: ProvisionResult, durations: Map<string, number>): string {
  const time = seconds(p.checks.reduce((sum, id) => sum + (durations.get(id) ?? 0), 0));
  const open = `    <testcase classname="${x(`${report.profile.id}.${p.level}`)}" name="${x(`${p.id} ${p.title}`)}" time="${time}"`;
  const body = findingLines(report.findings.filter((f) => p.checks.includes(f.check)));
  switch (p.verdict) {
    case "fail":
      return `${open}>\n      <failure type="fail" message="${x(p.reason)}">${x(body)}</failure>\n    </testcase>`;
    case "inconclusive":
    case "error":
      return `${open}>\n      <error type="${p.verdict}" message="${x(p.reason)}">${x(body)}</error>\n    </testcase>`;
    case "not-applicable":
      return `${open}>\n      <skipped message="${x(p.reason)}"/>\n    </testcase>`;
    default:
      return `${open}/>`;
  }
}

export function renderJunit(report: Report): string {
  const durations = new Map(report.checks.map((c) => [c.id, c.durationMs]));
  const count = (...verdicts: string[]) => report.provisions.filter((p) => verdicts.includes(p.verdict)).length;
  const total = seconds(Date.parse(report.finishedAt) - Date.parse(report.startedAt) || 0);
  const counts = `tests="${report.provisions.length}" failures="${count("fail")}" errors="${count("inconclusive", "error")}" skipped="${count("not-applicable")}" time="${total}"`;
  const d = report.device;
  const properties = [
    ["label", report.label.level],
    ["label.reason", report.label.reason],
    ["device", `${d.vendor} ${d.model} ${d.firmware} (${d.id})`],
    ["complete", String(report.complete)],
    ...(report.incompleteReason ? [["incompleteReason", report.incompleteReason]] : []),
    ["harness", `iotcert ${report.harness.version}`],
  ].map(([name, value]) => `      <property name="${x(name!)}" value="${x(value!)}"/>`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="iotcert" ${counts}>
  <testsuite name="${x(`${report.profile.id} ${d.id}`)}" timestamp="${x(report.startedAt)}" ${counts}>
    <properties>
${properties.join("\n")}
    </properties>
${report.provisions.map((p) => testcase(report, p, durations)).join("\n")}
  </testsuite>
</testsuites>
`;
}
