// The finished report in a device's campaign folder, if there is one for this device and profile:
// what lets a rerun skip the device (locally or through the queue).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Report } from "../core/report.js";
import { validateReport } from "../schema/load.js";

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
