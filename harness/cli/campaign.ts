// iotcert campaign DEVICES… --out DIR: certify many devices, a few at a time, one folder each.
// Resumable: a device whose folder holds a complete report for the same profile is skipped, and
// every report is written as its device finishes (report.json last, atomically), so an
// interrupted campaign keeps all it finished. Exit 0 every device complete, 2 bad input (checked
// for every descriptor before anything is sent), 3 interrupted or some run incomplete.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../reports/atomic.js";
import { isPaceName, Pace } from "../core/pace.js";
import { planRun } from "../core/plan.js";
import type { Report } from "../core/report.js";
import { builtinRegistry } from "../checks/index.js";
import { loadDescriptorWithSource, validateReport, type SourceFile } from "../schema/load.js";
import type { Descriptor } from "../schema/types.js";
import { CampaignProgress } from "./campaign-progress.js";
import { certifyToFolder } from "./certify-to-folder.js";
import { abortOnInterrupt } from "./interrupt.js";
import { BadInput, type Io } from "./io.js";
import { DEFAULT_PROFILE, resolveProfileWithSources } from "./profiles-source.js";
import { checkReportUrl } from "./run.js";
import { terminalSafe } from "./terminal-safe.js";

export interface CampaignFlags {
  out: string;
  profile?: string;
  pace?: string;
  parallel?: string;
  redact?: boolean;
  reportUrlBase?: string;
}

const MAX_PARALLEL = 16;

interface Entry {
  device: Descriptor;
  source: SourceFile;
  dir: string;
}

interface Outcome {
  id: string;
  label: string;
  complete: boolean;
  skipped: boolean;
}

/** The finished report in dir, if there is one for this device and profile. */
function finishedReport(dir: string, deviceId: string, profileId: string): Report | undefined {
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

function parallelism(value: string | undefined): number {
  const n = Number(value ?? 2);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARALLEL) throw new BadInput(`--parallel must be a whole number from 1 to ${MAX_PARALLEL}, not "${value}"`);
  return n;
}

export async function campaignCommand(files: string[], flags: CampaignFlags, io: Io): Promise<number> {
  const paceName = flags.pace ?? "normal";
  if (!isPaceName(paceName)) throw new BadInput(`--pace must be gentle, normal or fast, not "${paceName}"`);
  const parallel = parallelism(flags.parallel);
  const base = flags.reportUrlBase === undefined ? undefined : checkReportUrl(flags.reportUrlBase.endsWith("/") ? flags.reportUrlBase : `${flags.reportUrlBase}/`, "--report-url-base");
  const { profile, sources } = await resolveProfileWithSources(flags.profile ?? DEFAULT_PROFILE);
  planRun(profile, builtinRegistry());

  // Every descriptor is loaded before any device is contacted: one bad file stops the campaign.
  const entries: Entry[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const { descriptor, source } = await loadDescriptorWithSource(file);
    const other = seen.get(descriptor.id);
    if (other) throw new BadInput(`${file} and ${other} both describe device "${descriptor.id}": ids name the report folders and must differ`);
    seen.set(descriptor.id, file);
    entries.push({ device: descriptor, source, dir: join(flags.out, descriptor.id) });
  }

  const progress = new CampaignProgress(io.err as NodeJS.WriteStream, entries.length);
  const interrupt = abortOnInterrupt(io.err);
  const outcomes = new Map<string, Outcome>();
  const queue = [...entries];
  const worker = async () => {
    for (let entry = queue.shift(); entry && !interrupt.signal.aborted; entry = queue.shift()) {
      const { device, dir } = entry;
      const done = finishedReport(dir, device.id, profile.id);
      if (done) {
        outcomes.set(device.id, { id: device.id, label: done.label.level, complete: true, skipped: true });
        progress.log(`${terminalSafe(device.id)}: label ${done.label.level.toUpperCase()} (done before, skipped)\n`, io.out);
        progress.finished(device.id);
        continue;
      }
      progress.started(device.id);
      const { report } = await certifyToFolder({
        device, profile, out: dir,
        pace: Pace.named(paceName),
        options: { allowFragile: false, stateChanging: false },
        signal: interrupt.signal,
        inputs: { descriptor: entry.source, profile: sources },
        redact: !!flags.redact,
        ...(base ? { reportUrl: new URL(`${encodeURIComponent(device.id)}/report.html`, base).href } : {}),
        onProgress: (p) => progress.progress(device.id, p),
      });
      outcomes.set(device.id, { id: device.id, label: report.label.level, complete: report.complete, skipped: false });
      progress.log(`${terminalSafe(device.id)}: label ${report.label.level.toUpperCase()}${report.complete ? "" : " (incomplete: will run again)"}\n`, io.out);
      progress.finished(device.id);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, entries.length) }, worker));
  } finally {
    progress.clear();
    interrupt.dispose();
  }

  const summary = entries.map(({ device }) => outcomes.get(device.id) ?? { id: device.id, label: "not run", complete: false, skipped: false });
  await writeFileAtomic(join(flags.out, "campaign.json"), `${JSON.stringify({ profile: profile.id, devices: summary }, null, 2)}\n`);
  const complete = summary.filter((s) => s.complete).length;
  const skipped = summary.filter((s) => s.skipped).length;
  io.out.write(`campaign: ${complete}/${entries.length} devices complete (${skipped} from an earlier run), reports in ${flags.out}\n`);
  return complete === entries.length ? 0 : 3;
}
