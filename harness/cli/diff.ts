// iotcert diff OLD.json NEW.json: what changed between two reports of a device. Exit 0 no
// regression, 1 a regression (label down, a provision worse, a new finding above info) or a new
// report that is incomplete (a gate must not pass a run that did not reach every check), 2 bad
// input (not a report, or reports of different devices or profiles without --allow-different).
import { diffReports, type ReportDiff } from "../grading/report-diff.js";
import type { Report } from "../core/report.js";
import type { Finding } from "../core/types.js";
import { formatIssue, validateReport } from "../schema/load.js";
import { BadInput, type Io } from "./io.js";
import { parseJson, readInput } from "./sign.js";
import { terminalSafe } from "./terminal-safe.js";

export async function readReport(file: string): Promise<Report> {
  const value = parseJson(await readInput(file, "report"), file);
  const issues = validateReport(value);
  if (issues.length) throw new BadInput(`${file} is not an iotcert report:\n${issues.slice(0, 5).map((i) => `  ${formatIssue({ ...i, file })}`).join("\n")}`);
  return value as Report;
}

function findingLine(f: Finding): string {
  const where = f.target?.port === undefined ? "" : ` (${f.target.transport}/${f.target.port})`;
  return `  [${f.severity}] ${f.check}: ${terminalSafe(f.title)}${where}`;
}

function text(diff: ReportDiff): string {
  const lines = [`label: ${diff.label.old} → ${diff.label.new}${diff.label.change === "same" ? " (unchanged)" : diff.label.change === "up" ? " (better)" : " (worse)"}`];
  lines.push(`provisions changed: ${diff.provisions.length}`);
  for (const p of diff.provisions) lines.push(`  ${p.id} ${p.old} → ${p.new}${p.worse ? "  (worse)" : ""}  ${terminalSafe(p.title)}`);
  lines.push(`new findings: ${diff.newFindings.length}`, ...diff.newFindings.map(findingLine));
  lines.push(`fixed findings: ${diff.fixedFindings.length}`, ...diff.fixedFindings.map(findingLine));
  lines.push(
    diff.outcome === "regression"
      ? `REGRESSION: ${diff.reasons.join("; ")}`
      : diff.outcome === "incomplete"
        ? "INCOMPLETE: the new report did not complete, so no regression can be ruled out"
        : "no regression",
  );
  return `${lines.join("\n")}\n`;
}

/** A line for each report that did not complete, with its reason. */
function incompleteNotices(reports: [string, Report][]): string[] {
  return reports
    .filter(([, r]) => !r.complete)
    .map(([file, r]) => `${terminalSafe(file)}: the run did not complete${r.incompleteReason ? ` (${terminalSafe(r.incompleteReason)})` : ""}: what it did not reach is neither found nor fixed`);
}

export async function diffCommand(oldFile: string, newFile: string, flags: { json?: boolean; allowDifferent?: boolean }, io: Io): Promise<number> {
  const [old, now] = await Promise.all([readReport(oldFile), readReport(newFile)]);
  if (!flags.allowDifferent && old.device.id !== now.device.id) {
    throw new BadInput(`the reports are of different devices (${terminalSafe(old.device.id)}, ${terminalSafe(now.device.id)}): diff two runs of one device, or pass --allow-different`);
  }
  if (!flags.allowDifferent && old.profile.id !== now.profile.id) {
    throw new BadInput(`the reports were graded against different profiles (${old.profile.id}, ${now.profile.id}): run both against the same one, or pass --allow-different`);
  }
  const diff = diffReports(old, now);
  for (const notice of incompleteNotices([[oldFile, old], [newFile, now]])) io.err.write(`${notice}\n`);
  io.out.write(flags.json ? `${JSON.stringify(diff, null, 2)}\n` : text(diff));
  return diff.outcome === "no regression" ? 0 : 1;
}
