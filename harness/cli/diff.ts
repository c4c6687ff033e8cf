// iotcert diff OLD.json NEW.json: what changed between two reports of a device. Exit 0 no
// regression, 1 a regression (label down, a provision worse, a new finding above info), 2 bad
// input (not a report, or reports against different profiles).
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
  lines.push(diff.regression ? `REGRESSION: ${diff.reasons.join("; ")}` : "no regression");
  return `${lines.join("\n")}\n`;
}

export async function diffCommand(oldFile: string, newFile: string, flags: { json?: boolean }, io: Io): Promise<number> {
  const [old, now] = await Promise.all([readReport(oldFile), readReport(newFile)]);
  if (old.profile.id !== now.profile.id) {
    throw new BadInput(`the reports were graded against different profiles (${old.profile.id}, ${now.profile.id}): run both against the same one`);
  }
  const diff = diffReports(old, now);
  io.out.write(flags.json ? `${JSON.stringify(diff, null, 2)}\n` : text(diff));
  return diff.regression ? 1 : 0;
}
