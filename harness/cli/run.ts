// iotcert run <device.yaml>: certify one device and write its report folder.
import { join } from "node:path";
import { Pace } from "../core/pace.js";
import { planRun } from "../core/plan.js";
import { builtinRegistry } from "../checks/index.js";
import { meetsLevel, NO_LABEL } from "../grading/grade.js";
import { certifyToFolder } from "./certify-to-folder.js";
import { printDryRun } from "./dry-run.js";
import { abortOnInterrupt } from "./interrupt.js";
import { BadInput, type Io } from "./io.js";
import { ProgressLine } from "./progress-line.js";
import { printOutcome } from "./print-outcome.js";
import { folderRun, loadDevice, readSharedRun, type RunInputFlags } from "./run-request.js";

export interface RunFlags extends RunInputFlags {
  out?: string;
  require?: string;
  dryRun?: boolean;
  verbose?: boolean;
  mudCapture?: string;
  mqttObservation?: string;
  reportUrl?: string;
  attestations?: string;
}

/** A published report's address: http(s) only, since it goes into a QR code people will open. */
export function checkReportUrl(url: string, flag: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadInput(`${flag} ${url}: not a URL`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new BadInput(`${flag} ${url}: must be an http or https URL`);
  return parsed.href;
}

export async function runCommand(file: string, flags: RunFlags, io: Io): Promise<number> {
  const shared = await readSharedRun(flags);
  const { profile } = shared;
  const unit = await loadDevice(file, () => flags.attestations);
  if (flags.require && flags.require !== NO_LABEL && !profile.levels.includes(flags.require)) {
    throw new BadInput(`--require ${flags.require}: profile ${profile.id} has levels ${profile.levels.join(", ")}`);
  }
  const reportUrl = flags.reportUrl === undefined ? undefined : checkReportUrl(flags.reportUrl, "--report-url");

  if (flags.dryRun) {
    printDryRun(planRun(profile, builtinRegistry(), shared.only), unit.device, Pace.named(shared.paceName), io.out);
    return 0;
  }

  const run = await folderRun(shared, unit, {
    out: flags.out ?? join("iotcert-out", unit.device.id),
    ...(flags.mqttObservation !== undefined ? { mqttObservation: flags.mqttObservation } : {}),
    ...(flags.mudCapture !== undefined ? { mudCapture: flags.mudCapture } : {}),
    ...(reportUrl ? { reportUrl } : {}),
  }, io.err);
  const progress = new ProgressLine(io.err as NodeJS.WriteStream);
  const interrupt = abortOnInterrupt(io.err);
  try {
    const { report, files } = await certifyToFolder({
      ...run,
      signal: interrupt.signal,
      verbose: !!flags.verbose,
      ...(flags.verbose ? {} : { onProgress: (p) => progress.update(p) }),
    });
    progress.clear();
    printOutcome(report, files, io.out);
    if (!report.complete) return 3;
    if (flags.require && !meetsLevel(profile, report.label.level, flags.require)) {
      io.err.write(`label ${report.label.level} is below the required ${flags.require}\n`);
      return 1;
    }
    return 0;
  } finally {
    progress.clear();
    interrupt.dispose();
  }
}
