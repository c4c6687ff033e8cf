// iotcert campaign DEVICES… --out DIR: certify many devices, a few at a time, one folder each.
// Resumable: a device whose folder holds a complete report for the same profile is skipped, and
// every report is written as its device finishes (report.json last, atomically), so an
// interrupted campaign keeps all it finished. Exit 0 every device complete, 2 bad input (checked
// for every descriptor before anything is sent), 3 interrupted or some run incomplete.
import { join } from "node:path";
import { isPaceName, Pace } from "../core/pace.js";
import { planRun } from "../core/plan.js";
import { builtinRegistry } from "../checks/index.js";
import { loadDescriptorWithSource, type SourceFile } from "../schema/load.js";
import type { Descriptor } from "../schema/types.js";
import { CampaignProgress } from "./campaign-progress.js";
import { writeCampaignSummary, type CampaignOutcome } from "./campaign-summary.js";
import { finishedReport } from "./finished-report.js";
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
  /** Distributed: the Redis of the lab's workers (harness/queue). */
  queue?: string;
  queueCa?: string;
  lab?: string;
  retryIncomplete?: boolean;
}

const MAX_PARALLEL = 16;

interface Entry {
  device: Descriptor;
  source: SourceFile;
  dir: string;
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

  const reportUrl = (id: string) => (base ? new URL(`${encodeURIComponent(id)}/report.html`, base).href : undefined);
  if (flags.queue !== undefined) {
    const { queuedCampaign } = await import("../queue/coordinator.js");
    const summary = await queuedCampaign({
      entries, out: flags.out, profile, profileName: flags.profile ?? DEFAULT_PROFILE, profileSources: sources, pace: paceName,
      redact: !!flags.redact, reportUrl, queue: flags.queue, retryIncomplete: !!flags.retryIncomplete,
      ...(flags.queueCa ? { queueCa: flags.queueCa } : {}), ...(flags.lab ? { lab: flags.lab } : {}),
    }, io);
    return writeCampaignSummary(flags.out, profile.id, summary, io.out);
  }
  if (flags.lab || flags.retryIncomplete || flags.queueCa) throw new BadInput("--lab, --retry-incomplete and --queue-ca go with --queue");

  const progress = new CampaignProgress(io.err as NodeJS.WriteStream, entries.length);
  const interrupt = abortOnInterrupt(io.err);
  const outcomes = new Map<string, CampaignOutcome>();
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
  return writeCampaignSummary(flags.out, profile.id, summary, io.out);
}
