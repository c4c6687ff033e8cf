// The output folder's report files: report.json and its views (report.html, label.svg,
// junit.xml, report.sarif), each written atomically.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Report } from "../harness/core/report.js";
import { writeFileAtomic } from "./atomic.js";
import { renderHtml } from "./html.js";
import { renderJunit } from "./junit.js";
import { renderLabel } from "./label.js";
import { redactReport } from "./redact.js";
import { renderSarif } from "./sarif.js";

export interface ReportFiles {
  json: string;
  html: string;
  svg: string;
  junit: string;
  sarif: string;
}

export interface WriteOptions {
  redact?: boolean;
  /** Where report.html will be published; label.svg then carries it as a QR code. */
  reportUrl?: string;
}

/** Write report.json and its views into dir (created if missing); returns their paths. */
export async function writeReportFiles(dir: string, report: Report, opts: WriteOptions = {}): Promise<ReportFiles> {
  const shown = opts.redact ? redactReport(report) : report;
  // Render everything before writing anything, so a renderer bug cannot leave a partial set.
  const json = `${JSON.stringify(shown, null, 2)}\n`;
  const html = renderHtml(shown);
  const svg = renderLabel(shown, opts.reportUrl === undefined ? {} : { reportUrl: opts.reportUrl });
  const junit = renderJunit(shown);
  const sarif = renderSarif(shown);
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    json: join(dir, "report.json"), html: join(dir, "report.html"), svg: join(dir, "label.svg"),
    junit: join(dir, "junit.xml"), sarif: join(dir, "report.sarif"),
  };
  // report.json last: a folder whose report.json exists has every view (campaigns rely on it).
  await Promise.all([
    writeFileAtomic(files.html, html), writeFileAtomic(files.svg, svg),
    writeFileAtomic(files.junit, junit), writeFileAtomic(files.sarif, sarif),
  ]);
  await writeFileAtomic(files.json, json);
  return files;
}
