// One device, one output folder: run.log while it runs, then report.json, report.html and
// label.svg, written even when the run is interrupted.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { redactKeys, redactLogFile, secretsOf } from "../../reports/redact.js";
import { writeReportFiles, type ReportFiles } from "../../reports/write.js";
import { builtinRegistry } from "../checks/index.js";
import { createRunLogger } from "../core/logger.js";
import type { RunInputs } from "../core/audit.js";
import type { Pace } from "../core/pace.js";
import type { Report } from "../core/report.js";
import { certify, type RunProgress } from "../core/run.js";
import type { RunOptions } from "../core/types.js";
import { VERSION } from "../core/version.js";
import type { Descriptor, Profile } from "../schema/types.js";

export interface FolderRun {
  device: Descriptor;
  profile: Profile;
  out: string;
  pace: Pace;
  options: RunOptions;
  signal: AbortSignal;
  only?: string[];
  redact?: boolean;
  /** Where report.html will be published, for the QR code on label.svg. */
  reportUrl?: string;
  verbose?: boolean;
  inputs?: RunInputs;
  onProgress?: (p: RunProgress) => void;
}

export interface FolderResult {
  report: Report;
  files: ReportFiles & { log: string };
}

export async function certifyToFolder(run: FolderRun): Promise<FolderResult> {
  mkdirSync(run.out, { recursive: true });
  const logFile = join(run.out, "run.log");
  // --redact: secrets under their keys never reach the log; the ones the report then names are
  // taken out of the rest of it (messages, transcripts) once it is closed
  const logger = await createRunLogger(logFile, !!run.verbose, run.redact ? (record) => redactKeys(record) as Record<string, unknown> : undefined);
  let secrets: string[] = [];
  try {
    logger.log.info({ device: run.device.id, profile: run.profile.id, pace: run.pace.settings.name, version: VERSION }, "run started");
    const report = await certify({
      device: run.device,
      profile: run.profile,
      registry: builtinRegistry(),
      pace: run.pace,
      options: run.options,
      log: logger.log,
      signal: run.signal,
      version: VERSION,
      ...(run.only ? { only: run.only } : {}),
      ...(run.inputs ? { inputs: run.inputs } : {}),
      ...(run.onProgress ? { onProgress: run.onProgress } : {}),
    });
    if (run.redact) secrets = secretsOf(report);
    const files = await writeReportFiles(run.out, report, { redact: !!run.redact, ...(run.reportUrl ? { reportUrl: run.reportUrl } : {}) });
    logger.log.info({ label: report.label.level, complete: report.complete }, "run finished");
    return { report, files: { ...files, log: logFile } };
  } finally {
    logger.close();
    if (secrets.length) await redactLogFile(logFile, secrets);
  }
}
