// iotcert campaign DEVICES… --out DIR: certify many devices, a few at a time, one folder each.
// Every device is run as `iotcert run` would run it with the same flags (run-request.ts); its
// MQTT observation and MUD capture are taken from its own folder, its attestation file from
// the --attestations file that names it.
// Resumable: a device whose folder holds a complete report made from the same inputs (the audit
// record: descriptor, profile, every file and option) is skipped, and
// every report is written as its device finishes (report.json last, atomically), so an
// interrupted campaign keeps all it finished. Exit 0 every device complete, 2 bad input (checked
// for every descriptor before anything is sent), 3 interrupted or some run incomplete.
import { join, resolve } from "node:path";
import { loadAttestationFileWithSource } from "../schema/load.js";
import { CampaignProgress } from "./campaign-progress.js";
import { writeCampaignSummary, type CampaignOutcome } from "./campaign-summary.js";
import { certifyToFolder } from "./certify-to-folder.js";
import { finishedRunReport } from "./finished-report.js";
import { abortOnInterrupt } from "./interrupt.js";
import { BadInput, type Io } from "./io.js";
import { labelLine } from "./print-outcome.js";
import { DEFAULT_PROFILE } from "./profiles-source.js";
import { folderRun, loadDevice, readSharedRun, type LoadedDevice, type RunInputFlags } from "./run-request.js";
import { checkReportUrl } from "./run.js";
import { terminalSafe } from "./terminal-safe.js";

export interface CampaignFlags extends RunInputFlags {
  out: string;
  parallel?: string;
  reportUrlBase?: string;
  /** Attestation files, each about the device its `device` names. */
  attestations?: string[];
  /** Distributed: the Redis of the lab's workers (harness/queue). */
  queue?: string;
  queueCa?: string;
  lab?: string;
  retryIncomplete?: boolean;
}

const MAX_PARALLEL = 16;

interface Entry {
  unit: LoadedDevice;
  dir: string;
}

/** Each --attestations file by the device it is about (its `device`); two about one device is a mistake. */
async function attestationFiles(files: string[]): Promise<Map<string, string>> {
  const byDevice = new Map<string, string>();
  for (const file of files) {
    const { device } = await loadAttestationFileWithSource(file);
    const other = byDevice.get(device);
    if (other) throw new BadInput(`--attestations ${file} and ${other} are both about "${device}"`);
    byDevice.set(device, file);
  }
  return byDevice;
}

function parallelism(value: string | undefined): number {
  const n = Number(value ?? 2);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARALLEL) throw new BadInput(`--parallel must be a whole number from 1 to ${MAX_PARALLEL}, not "${value}"`);
  return n;
}

export async function campaignCommand(files: string[], flags: CampaignFlags, io: Io): Promise<number> {
  const parallel = parallelism(flags.parallel);
  const base = flags.reportUrlBase === undefined ? undefined : checkReportUrl(flags.reportUrlBase.endsWith("/") ? flags.reportUrlBase : `${flags.reportUrlBase}/`, "--report-url-base");
  const shared = await readSharedRun(flags);

  // Every input is read before any device is contacted: one bad file stops the campaign.
  const attestations = await attestationFiles(flags.attestations ?? []);
  const entries: Entry[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const unit = await loadDevice(file, (id) => attestations.get(id));
    const other = seen.get(unit.device.id);
    if (other) throw new BadInput(`${file} and ${other} both describe device "${unit.device.id}": ids name the report folders and must differ`);
    seen.set(unit.device.id, file);
    entries.push({ unit, dir: join(flags.out, unit.device.id) });
  }
  for (const [device, file] of attestations) {
    if (!seen.has(device)) throw new BadInput(`--attestations ${file} is about "${device}", which is not a device of this campaign`);
  }

  if (flags.queue !== undefined) {
    const { queuedCampaign } = await import("../queue/coordinator.js");
    const summary = await queuedCampaign({
      entries: entries.map(({ unit, dir }) => ({ device: unit.device, source: unit.source, dir, ...(unit.attestations ? { attestations: unit.attestations.path } : {}) })),
      flags: {
        ...(flags.only !== undefined ? { only: flags.only } : {}),
        allowFragile: !!flags.allowFragile, stateChanging: !!flags.stateChanging,
        ...(flags.credentials !== undefined ? { credentials: resolve(flags.credentials) } : {}),
        ...(flags.mudTrust?.length ? { mudTrust: flags.mudTrust.map((f) => resolve(f)) } : {}),
        ...(flags.updateTrust?.length ? { updateTrust: flags.updateTrust.map((f) => resolve(f)) } : {}),
      },
      out: flags.out, profile: shared.profile, profileName: flags.profile ?? DEFAULT_PROFILE, profileSources: shared.inputs.profile ?? [],
      pace: shared.paceName, redact: shared.redact, queue: flags.queue, retryIncomplete: !!flags.retryIncomplete,
      reportUrl: (id) => (base ? new URL(`${encodeURIComponent(id)}/report.html`, base).href : undefined),
      ...(flags.queueCa ? { queueCa: flags.queueCa } : {}), ...(flags.lab ? { lab: flags.lab } : {}),
    }, io);
    return writeCampaignSummary(flags.out, shared.profile.id, summary, io.out);
  }
  if (flags.lab || flags.retryIncomplete || flags.queueCa) throw new BadInput("--lab, --retry-incomplete and --queue-ca go with --queue");

  const progress = new CampaignProgress(io.err as NodeJS.WriteStream, entries.length);
  const interrupt = abortOnInterrupt(io.err);
  const outcomes = new Map<string, CampaignOutcome>();
  const queue = [...entries];
  const worker = async () => {
    for (let entry = queue.shift(); entry && !interrupt.signal.aborted; entry = queue.shift()) {
      const { unit: { device }, dir } = entry;
      const run = await folderRun(shared, entry.unit, {
        out: dir,
        captureFromFolder: true,
        ...(base ? { reportUrl: new URL(`${encodeURIComponent(device.id)}/report.html`, base).href } : {}),
      }, io.err);
      const done = finishedRunReport(dir, run);
      if (done) {
        outcomes.set(device.id, { id: device.id, label: done.label.level, complete: true, skipped: true });
        progress.log(`${terminalSafe(device.id)}: ${labelLine(done)} (done before, skipped)\n`, io.out);
        progress.finished(device.id);
        continue;
      }
      progress.started(device.id);
      const { report } = await certifyToFolder({ ...run, signal: interrupt.signal, onProgress: (p) => progress.progress(device.id, p) });
      outcomes.set(device.id, {
        id: device.id, label: report.label.level, complete: report.complete, skipped: false,
        ...(report.incompleteReason ? { reason: report.incompleteReason } : {}),
      });
      progress.log(`${terminalSafe(device.id)}: ${labelLine(report)}${report.complete ? "" : "; will run again"}\n`, io.out);
      progress.finished(device.id);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, entries.length) }, worker));
  } finally {
    progress.clear();
    interrupt.dispose();
  }

  const summary = entries.map(({ unit: { device } }) => outcomes.get(device.id) ?? { id: device.id, label: "not run", complete: false, skipped: false });
  return writeCampaignSummary(flags.out, shared.profile.id, summary, io.out);
}
