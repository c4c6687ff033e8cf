// The output folder's report files: report.json and its two views, each written atomically.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Report } from "../harness/core/report.js";
import { writeFileAtomic } from "./atomic.js";
import { renderHtml } from "./html.js";
import { renderLabel } from "./label.js";
import { redactReport } from "./redact.js";

export interface ReportFiles {
  json: string;
  html: string;
  svg: string;
}

/** Write report.json, report.html and label.svg into dir (created if missing); returns their paths. */
export async function writeReportFiles(dir: string, report: Report, opts: { redact?: boolean } = {}): Promise<ReportFiles> {
  const shown = opts.redact ? redactReport(report) : report;
  // Render everything before writing anything, so a renderer bug cannot leave a partial set.
  const json = `${JSON.stringify(shown, null, 2)}\n`;
  const html = renderHtml(shown);
  const svg = renderLabel(shown);
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = { json: join(dir, "report.json"), html: join(dir, "report.html"), svg: join(dir, "label.svg") };
  await Promise.all([writeFileAtomic(files.json, json), writeFileAtomic(files.html, html), writeFileAtomic(files.svg, svg)]);
  return files;
}
