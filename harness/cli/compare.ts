// iotcert compare REPORTS… --out DIR: compare.html (devices × provisions with their labels,
// sortable), compare.csv, and labels/<n>.svg for each device (with a QR code to its published
// report when --report-url-base is given). Exit 0, or 2 when a file is not a report.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../reports/atomic.js";
import { renderCompareCsv, renderCompareHtml, type CompareEntry } from "../../reports/compare.js";
import { renderLabel } from "../../reports/label.js";
import { readReport } from "./diff.js";
import type { Io } from "./io.js";
import { checkReportUrl } from "./run.js";

export async function compareCommand(files: string[], flags: { out: string; reportUrlBase?: string }, io: Io): Promise<number> {
  const base = flags.reportUrlBase === undefined ? undefined : checkReportUrl(flags.reportUrlBase.endsWith("/") ? flags.reportUrlBase : `${flags.reportUrlBase}/`, "--report-url-base");
  const reports = await Promise.all(files.map(readReport));
  const entries: CompareEntry[] = reports.map((report) => {
    const reportUrl = base ? new URL(`${encodeURIComponent(report.device.id)}/report.html`, base).href : undefined;
    return { report, labelSvg: renderLabel(report, reportUrl ? { reportUrl } : {}), ...(reportUrl ? { reportUrl } : {}) };
  });
  await mkdir(join(flags.out, "labels"), { recursive: true });
  // Labels by position, not by device id: two reports may come from units with the same id.
  await Promise.all(entries.map((entry, i) => writeFileAtomic(join(flags.out, "labels", `${i + 1}.svg`), entry.labelSvg)));
  const html = join(flags.out, "compare.html");
  const csv = join(flags.out, "compare.csv");
  await writeFileAtomic(csv, renderCompareCsv(entries));
  await writeFileAtomic(html, renderCompareHtml(entries));
  io.out.write(`${entries.length} devices compared: ${html}\n  ${csv}\n  ${join(flags.out, "labels")}/\n`);
  return 0;
}
