// The finished report in a device's campaign folder, if there is one for this device and profile:
// what lets a rerun skip the device (locally or through the queue).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { auditRecord, type Audit } from "../core/audit.js";
import { canonicalJson } from "../core/canonical.js";
import type { Report } from "../core/report.js";
import { validateReport } from "../schema/load.js";
import type { FolderRun } from "./certify-to-folder.js";

export function finishedReport(dir: string, deviceId: string, profileId: string): Report | undefined {
  const file = join(dir, "report.json");
  if (!existsSync(file)) return undefined;
  try {
    const report = JSON.parse(readFileSync(file, "utf8")) as Report;
    const finished = validateReport(report).length === 0 && report.complete && report.device.id === deviceId && report.profile.id === profileId;
    return finished ? report : undefined;
  } catch {
    return undefined;
  }
}

/** The audit without the runtime: what must match for an earlier report to stand for this run. */
function inputsOf(audit: Audit): string {
  const { node: _node, platform: _platform, ...inputs } = audit;
  return canonicalJson(inputs);
}

/** The finished report in dir made from the same inputs as this run (a local campaign's rerun). */
export function finishedRunReport(dir: string, run: Omit<FolderRun, "signal">): Report | undefined {
  const report = finishedReport(dir, run.device.id, run.profile.id);
  const expected = auditRecord(run.device, run.profile, run.pace.settings, run.options, run.only, run.inputs);
  return report && inputsOf(report.audit) === inputsOf(expected) ? report : undefined;
}
