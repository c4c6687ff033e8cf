// iotcert worker --queue redis://… --lab NAME: a machine on one lab network takes that lab's
// devices from the queue and certifies each as `iotcert campaign` would locally (same profile,
// pace, options and scope guard), writing its report folder into the campaign's output folder.
// Ctrl-C stops taking jobs and finishes the reports of the devices under way, marked incomplete.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { RunProgress } from "../core/run.js";
import { certifyToFolder } from "../cli/certify-to-folder.js";
import { abortOnInterrupt } from "../cli/interrupt.js";
import { BadInput, type Io } from "../cli/io.js";
import { folderRun, loadDevice, readSharedRun } from "../cli/run-request.js";
import { terminalSafe } from "../cli/terminal-safe.js";
import { LOCK_MS, MAX_STALLED, QUEUE_PREFIX, STALLED_CHECK_MS, queueName, type DeviceJob, type DeviceJobResult } from "./device-job.js";
import { assertRedisAnswers } from "./redis-probe.js";
import { parseQueueUrl } from "./redis-url.js";

export interface WorkerFlags {
  queue: string;
  lab: string;
  concurrency?: string;
  queueCa?: string;
  name?: string;
}

const MAX_CONCURRENCY = 16;
const LAB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/; // as the descriptor schema's `lab`
/** The coordinator's progress line needs no more than a few updates a second per device. */
const PROGRESS_EVERY_MS = 500;
/** ioredis reports every failed reconnect; one line per this long is enough to tell the operator. */
const ERROR_EVERY_MS = 10_000;

function concurrency(value: string | undefined): number {
  const n = Number(value ?? 1);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) throw new BadInput(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, not "${value}"`);
  return n;
}

export function checkLabName(lab: string, flag: string): string {
  if (!LAB_NAME.test(lab)) throw new BadInput(`${flag} "${lab}": a lab is named with letters, digits, dots, dashes and underscores`);
  return lab;
}

async function sha256Of(file: string): Promise<string> {
  return createHash("sha256").update(await readFile(file)).digest("hex");
}

/** Certify the job's device; a descriptor or profile that differs from what the coordinator checked is refused unrun. */
async function certifyJob(job: Job<DeviceJob, DeviceJobResult>, lab: string, worker: string, signal: AbortSignal, io: Io): Promise<DeviceJobResult> {
  const data = job.data;
  io.out.write(`${terminalSafe(data.device)}: started (campaign ${terminalSafe(data.campaign)})\n`);
  const unit = await loadDevice(data.descriptor.path, () => data.attestations).catch((err: Error) => {
    throw new UnrecoverableError(`descriptor ${data.descriptor.path} unreadable on worker ${worker}: ${err.message}`);
  });
  const { device: descriptor, source } = unit;
  if (source.sha256 !== data.descriptor.sha256) throw new UnrecoverableError(`descriptor ${data.descriptor.path} on worker ${worker} differs from the one the campaign checked (sha256 ${source.sha256.slice(0, 12)}…, not ${data.descriptor.sha256.slice(0, 12)}…)`);
  if (descriptor.id !== data.device) throw new UnrecoverableError(`descriptor ${data.descriptor.path} is device "${descriptor.id}", not "${data.device}"`);
  if (descriptor.lab !== undefined && descriptor.lab !== lab) throw new UnrecoverableError(`device ${descriptor.id} is in lab "${descriptor.lab}", and this worker serves lab "${lab}"`);
  // The same builder as `run` and the local campaign: the same options, inputs and audit record
  const shared = await readSharedRun({ ...data.flags, profile: data.profile.name, pace: data.pace, redact: data.redact }).catch((err: Error) => {
    throw new UnrecoverableError(`the campaign's run flags do not hold on worker ${worker}: ${err.message}`);
  });
  const mine = (shared.inputs.profile ?? []).map((s) => s.sha256).join(",");
  if (mine !== data.profile.sources.map((s) => s.sha256).join(",")) throw new UnrecoverableError(`profile ${data.profile.name} on worker ${worker} differs from the campaign's`);
  const run = await folderRun(shared, unit, { out: data.out, captureFromFolder: true, ...(data.reportUrl ? { reportUrl: data.reportUrl } : {}) }, io.err);

  let lastProgress = 0;
  const onProgress = (p: RunProgress) => {
    const now = Date.now();
    if (now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    // A progress update lost while Redis is away costs nothing: the next one replaces it.
    job.updateProgress({ done: p.done, total: p.total, running: p.running.slice(0, 1).map((r) => ({ id: r.id })) }).catch(() => {});
  };
  const { report, files } = await certifyToFolder({ ...run, signal, onProgress });
  return { label: report.label.level, complete: report.complete, reportSha256: await sha256Of(files.json), worker };
}

export async function workerCommand(flags: WorkerFlags, io: Io): Promise<number> {
  const lab = checkLabName(flags.lab, "--lab");
  const n = concurrency(flags.concurrency);
  const address = parseQueueUrl(flags.queue, flags.queueCa);
  const name = flags.name ?? `${hostname()}:${process.pid}`;
  await assertRedisAnswers(address);

  const interrupt = abortOnInterrupt(io.err);
  const worker = new Worker<DeviceJob, DeviceJobResult>(queueName(lab), (job) => certifyJob(job, lab, name, interrupt.signal, io), {
    connection: address.connection,
    prefix: QUEUE_PREFIX,
    concurrency: n,
    name,
    lockDuration: LOCK_MS,
    stalledInterval: STALLED_CHECK_MS,
    maxStalledCount: MAX_STALLED,
    maxStartedAttempts: 1,
    autorun: false,
  });
  let lastError = 0;
  worker.on("error", (err) => {
    if (Date.now() - lastError < ERROR_EVERY_MS) return;
    lastError = Date.now();
    io.err.write(`worker ${name}: Redis at ${address.shown}: ${err.message} (retrying; devices under way go on)\n`);
  });
  worker.on("completed", (job, result) => io.out.write(`${terminalSafe(job.data.device)}: label ${result.label.toUpperCase()}${result.complete ? "" : " (incomplete)"}\n`));
  worker.on("failed", (job, err) => io.out.write(`${terminalSafe(job?.data.device ?? "?")}: not run: ${terminalSafe(err.message)}\n`));

  io.out.write(`worker ${name}: lab ${lab}, ${n} device(s) at a time, jobs from ${address.shown}\n`);
  const running = worker.run();
  // Ctrl-C: take no more jobs; those under way end (aborted, reported incomplete) and are returned.
  interrupt.signal.addEventListener("abort", () => void worker.close(), { once: true });
  try {
    await running;
  } finally {
    await worker.close();
    interrupt.dispose();
  }
  io.out.write(`worker ${name}: stopped\n`);
  return 0;
}
