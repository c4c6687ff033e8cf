// iotcert campaign … --queue redis://…: the coordinator. Every descriptor was checked before this
// runs; it puts one job per device on its lab's queue under a stable id (campaign + device),
// shows the live line from the workers' progress, and collects each report from DIR/<device>/,
// which the worker wrote. Resumable as the local campaign is: a device with a complete report
// is skipped, and a job still queued or running from an earlier coordinator is waited for,
// never added twice. A device whose worker was lost mid-run is marked so and not run again
// unless --retry-incomplete: a fragile device must not be tested twice by accident.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Job, Queue, QueueEvents, Worker } from "bullmq";
import { writeFileAtomic } from "../../reports/atomic.js";
import type { PaceName } from "../core/pace.js";
import type { RunProgress } from "../core/run.js";
import type { SourceFile } from "../schema/load.js";
import type { Descriptor, Profile } from "../schema/types.js";
import type { CampaignOutcome } from "../cli/campaign-summary.js";
import { CampaignProgress } from "../cli/campaign-progress.js";
import { finishedReport } from "../cli/finished-report.js";
import { abortOnInterrupt } from "../cli/interrupt.js";
import { BadInput, type Io } from "../cli/io.js";
import { terminalSafe } from "../cli/terminal-safe.js";
import { jobId, LOCK_MS, MAX_STALLED, QUEUE_PREFIX, queueName, STALLED_CHECK_MS, STALLED_REASON, STARTED_TWICE_REASON, type DeviceJob, type DeviceJobResult, type JobRunFlags } from "./device-job.js";
import { assertRedisAnswers, RedisUnreachable, watchRedis } from "./redis-probe.js";
import { parseQueueUrl, type QueueAddress } from "./redis-url.js";
import { checkLabName } from "./worker.js";

export interface QueuedEntry {
  device: Descriptor;
  source: SourceFile;
  dir: string;
  attestations?: string;
}

export interface QueuedCampaign {
  entries: QueuedEntry[];
  out: string;
  profile: Profile;
  profileName: string;
  profileSources: SourceFile[];
  pace: PaceName;
  redact: boolean;
  /** The device's published report.html, for its label's QR code. */
  reportUrl: (device: string) => string | undefined;
  queue: string;
  queueCa?: string;
  /** The lab of descriptors that name none. */
  lab?: string;
  retryIncomplete: boolean;
  /** What every device is run with, paths absolute (the workers read the same files). */
  flags: JobRunFlags;
}

/** Written into DIR/<device>/ when its worker was lost: the next run leaves the device alone unless told. */
const LOST_MARKER = "worker-lost.json";
const CLOSE_AFTER_OUTAGE_MS = 1_000;
const RUNNING_STATES = new Set(["waiting", "active", "delayed", "prioritized", "waiting-children"]);

/** Stable for an output folder, so a rerun finds the jobs of the first run. */
function campaignId(out: string): string {
  const dir = resolve(out);
  const name = basename(dir).replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40) || "campaign";
  return `${name}-${createHash("sha256").update(dir).digest("hex").slice(0, 8)}`;
}

function labOf(device: Descriptor, fallback: string | undefined): string {
  const lab = device.lab ?? fallback;
  if (lab === undefined) throw new BadInput(`device ${device.id} names no lab: give it \`lab:\` in its descriptor, or --lab for every device that has none`);
  return checkLabName(lab, `lab of ${device.id}`);
}

interface LabQueue {
  queue: Queue<DeviceJob, DeviceJobResult>;
  events: QueueEvents;
  /** Runs no job: only the stalled check, so a lab whose only worker died still learns it. */
  checker: Worker<DeviceJob, DeviceJobResult>;
}

async function openLab(lab: string, address: QueueAddress): Promise<LabQueue> {
  const opts = { connection: address.connection, prefix: QUEUE_PREFIX };
  const queue = new Queue<DeviceJob, DeviceJobResult>(queueName(lab), opts);
  // Each device waited for listens on the queue's closing: hundreds in a lab's campaign, by design.
  queue.setMaxListeners(0);
  const events = new QueueEvents(queueName(lab), opts);
  events.setMaxListeners(0);
  const checker = new Worker<DeviceJob, DeviceJobResult>(queueName(lab), null, {
    ...opts, autorun: false, lockDuration: LOCK_MS, stalledInterval: STALLED_CHECK_MS, maxStalledCount: MAX_STALLED,
  });
  // The Redis watch reports an outage, once; these would report every reconnect.
  queue.on("error", () => {});
  events.on("error", () => {});
  checker.on("error", () => {});
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  await checker.startStalledCheckTimer();
  return { queue, events, checker };
}

async function closeLab(lab: LabQueue, gone: boolean): Promise<void> {
  const all = [lab.checker, lab.events, lab.queue];
  // With Redis gone a clean close would wait on commands that never return: disconnect, bounded.
  const closing = Promise.all(all.map((c) => (gone ? c.disconnect() : c.close()).catch(() => {})));
  await (gone ? Promise.race([closing, sleep(CLOSE_AFTER_OUTAGE_MS)]) : closing);
}

function lostMarker(dir: string): { worker: string } | undefined {
  const file = join(dir, LOST_MARKER);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as { worker: string };
  } catch {
    return { worker: "unknown" };
  }
}

function reportSha256(dir: string): string | undefined {
  const file = join(dir, "report.json");
  return existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : undefined;
}

export async function queuedCampaign(c: QueuedCampaign, io: Io): Promise<CampaignOutcome[]> {
  const address = parseQueueUrl(c.queue, c.queueCa);
  const labs = new Map(c.entries.map((e) => [e.device.id, labOf(e.device, c.lab)]));
  await assertRedisAnswers(address);

  const campaign = campaignId(c.out);
  const queues = new Map<string, LabQueue>();
  const watch = watchRedis(address);
  const progress = new CampaignProgress(io.err as NodeJS.WriteStream, c.entries.length);
  const interrupt = abortOnInterrupt(io.err);
  const outcomes = new Map<string, CampaignOutcome>();
  const byJob = new Map<string, string>();
  const onStalled = new Map<string, () => void>();
  let gone = false;

  const finish = (id: string, outcome: CampaignOutcome, line: string) => {
    outcomes.set(id, outcome);
    progress.log(`${terminalSafe(id)}: ${line}\n`, io.out);
    progress.finished(id);
  };

  const lost = async (entry: QueuedEntry, worker: string) => {
    await mkdir(entry.dir, { recursive: true });
    await writeFileAtomic(join(entry.dir, LOST_MARKER), `${JSON.stringify({ worker, at: new Date().toISOString() })}\n`);
    finish(entry.device.id, { id: entry.device.id, label: "not run", complete: false, skipped: false, reason: "worker lost" },
      `incomplete: worker lost (worker ${terminalSafe(worker)} stopped answering mid-device; not run again: --retry-incomplete reruns it)`);
  };

  /** Queue the device's job, or find the one an earlier run queued; undefined when there is nothing to wait for. */
  const enqueue = async (entry: QueuedEntry, lab: LabQueue): Promise<Job<DeviceJob, DeviceJobResult> | undefined> => {
    const id = jobId(campaign, entry.device.id);
    const earlier = await lab.queue.getJob(id);
    if (earlier) {
      // A job that stalled once is a worker lost, whatever state BullMQ has moved it to since.
      const wasLost = earlier.stalledCounter > 0 || earlier.failedReason === STALLED_REASON;
      if (wasLost && !c.retryIncomplete) {
        await lost(entry, earlier.processedBy ?? "unknown");
        return undefined;
      }
      if (!wasLost && RUNNING_STATES.has(await earlier.getState())) return earlier;
      await earlier.remove();
    }
    rmSync(join(entry.dir, LOST_MARKER), { force: true });
    const reportUrl = c.reportUrl(entry.device.id);
    return lab.queue.add("certify", {
      campaign, device: entry.device.id,
      descriptor: { path: resolve(entry.source.path), sha256: entry.source.sha256 },
      profile: { name: existsSync(c.profileName) ? resolve(c.profileName) : c.profileName, sources: c.profileSources },
      pace: c.pace, out: resolve(entry.dir), redact: c.redact, flags: c.flags,
      ...(reportUrl ? { reportUrl } : {}),
      ...(entry.attestations ? { attestations: resolve(entry.attestations) } : {}),
    }, { jobId: id, attempts: 1, removeOnComplete: false, removeOnFail: false });
  };

  const collect = async (entry: QueuedEntry, lab: LabQueue, job: Job<DeviceJob, DeviceJobResult>) => {
    const id = entry.device.id;
    // Stalled is final: BullMQ would hand the job to the next worker only to fail it there.
    const stalled = new Promise<"stalled">((resolve) => onStalled.set(job.id!, () => resolve("stalled")));
    const finished = job.waitUntilFinished(lab.events).then((result) => ({ result }), (err: Error) => ({ reason: err.message }));
    const end = await Promise.race([finished, stalled]);
    if (gone || interrupt.signal.aborted) return;
    if (end === "stalled" || ("reason" in end && (end.reason === STALLED_REASON || end.reason === STARTED_TWICE_REASON))) {
      const failed = await Job.fromId<DeviceJob, DeviceJobResult>(lab.queue, job.id!);
      await lost(entry, failed?.processedBy ?? "unknown");
      return;
    }
    if ("reason" in end) {
      finish(id, { id, label: "not run", complete: false, skipped: false, reason: end.reason }, `incomplete: ${terminalSafe(end.reason)}`);
      return;
    }
    const { result } = end;
    // The report is read from DIR: only what the worker wrote there, and only this run's.
    const done = finishedReport(entry.dir, id, c.profile.id);
    if (reportSha256(entry.dir) !== result.reportSha256) {
      finish(id, { id, label: "not run", complete: false, skipped: false, reason: "report missing" },
        `incomplete: worker ${terminalSafe(result.worker)} wrote its report where this machine does not see it (is ${terminalSafe(c.out)} shared with the workers?)`);
      return;
    }
    const label = done?.label.level ?? result.label;
    finish(id, { id, label, complete: !!done, skipped: false }, `label ${label.toUpperCase()}${done ? "" : " (incomplete: will run again)"}`);
  };

  const waits: Promise<void>[] = [];
  const queueAll = async () => {
    for (const entry of c.entries) {
      const id = entry.device.id;
      const done = finishedReport(entry.dir, id, c.profile.id);
      if (done) {
        finish(id, { id, label: done.label.level, complete: true, skipped: true }, `label ${done.label.level.toUpperCase()} (done before, skipped)`);
        continue;
      }
      const marker = lostMarker(entry.dir);
      if (marker && !c.retryIncomplete) {
        finish(id, { id, label: "not run", complete: false, skipped: true, reason: "worker lost" },
          `incomplete: worker lost in an earlier run (worker ${terminalSafe(marker.worker)}); not run again: --retry-incomplete reruns it`);
        continue;
      }
      const labName = labs.get(id)!;
      let lab = queues.get(labName);
      if (!lab) {
        lab = await openLab(labName, address);
        queues.set(labName, lab);
        showProgressOf(lab);
      }
      const job = await enqueue(entry, lab);
      if (!job) continue;
      byJob.set(job.id!, id);
      waits.push(collect(entry, lab, job));
    }
    await Promise.all(waits);
  };
  const stopped = new Promise<void>((resolve) => interrupt.signal.addEventListener("abort", () => resolve(), { once: true }));
  try {
    const all = queueAll();
    all.catch(() => {}); // after an outage or Ctrl-C its waits fail as the queues close: already told
    await Promise.race([all, watch.gone, stopped]);
    if (interrupt.signal.aborted) io.err.write("coordinator stopped: the queued devices stay queued and their workers go on; rerun the campaign to collect them\n");
  } catch (err) {
    if (!(err instanceof RedisUnreachable)) throw err;
    gone = true;
    progress.clear();
    const finished = [...outcomes.values()].filter((o) => o.complete).length;
    io.err.write(`iotcert: ${err.message}: the campaign stops here; ${finished} device(s) complete, their reports are in ${c.out}; devices under way on workers still finish into it; rerun the campaign to go on\n`);
  } finally {
    watch.stop();
    progress.clear();
    interrupt.dispose();
    await Promise.all([...queues.values()].map((q) => closeLab(q, gone)));
  }
  return c.entries.map(({ device }) => outcomes.get(device.id) ?? { id: device.id, label: "not run", complete: false, skipped: false });

  function showProgressOf(lab: LabQueue) {
    lab.events.on("active", ({ jobId: j }) => {
      const id = byJob.get(j);
      if (id) progress.started(id);
    });
    lab.events.on("stalled", ({ jobId: j }) => onStalled.get(j)?.());
    lab.events.on("progress", ({ jobId: j, data }) => {
      const id = byJob.get(j);
      if (id && typeof data === "object") progress.progress(id, data as unknown as RunProgress);
    });
  }
}
