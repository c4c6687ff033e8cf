// The few lines a person reads after a run: the label, what held it down, where the files are.
import type { Report } from "../core/report.js";
import { NOT_TESTED } from "../grading/grade.js";
import { terminalSafe } from "./terminal-safe.js";

/** "label HIGH", "label LOW (incomplete run: …)", or "NOT TESTED (the device was not reached: …)". */
export function labelLine(report: Report): string {
  if (report.label.level === NOT_TESTED) return `NOT TESTED (${terminalSafe(report.label.reason)})`;
  const why = report.incompleteReason ? `: ${terminalSafe(report.incompleteReason)}` : "";
  return `label ${report.label.level.toUpperCase()}${report.complete ? "" : ` (incomplete run${why})`}`;
}

export function printOutcome(report: Report, files: { json: string; html: string; svg: string; junit: string; sarif: string; log: string }, out: NodeJS.WritableStream): void {
  const d = report.device;
  const lines = [`${terminalSafe(`${d.vendor} ${d.model} ${d.firmware} (${d.id})`)}: ${labelLine(report)}`];
  if (report.label.heldBy.length) lines.push(`  held by: ${report.label.reason}`);
  const failed = report.checks.filter((c) => c.verdict !== "pass" && c.verdict !== "not-applicable");
  for (const c of failed) lines.push(`  ${c.verdict.padEnd(12)} ${c.id}: ${terminalSafe(c.summary)}`);
  lines.push(
    `  report: ${files.html}`, `          ${files.json}`, `  label:  ${files.svg}`,
    `  CI:     ${files.junit}`, `          ${files.sarif}`, `  log:    ${files.log}`,
  );
  out.write(`${lines.join("\n")}\n`);
}
