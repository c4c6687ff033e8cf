// What a distributed campaign puts in Redis for one device, and what comes back. Secrets stay out
// of Redis: a job names the descriptor file by path and sha256 (workers read it from the folder
// they share with the coordinator, and refuse a file that changed), and the worker writes the
// report folder into the campaign's output folder, sending back only the label and the report's
// sha256. So no password, key or finding evidence is ever stored in Redis.
import type { RunInputFlags } from "../cli/run-request.js";
import type { SourceFile } from "../schema/load.js";
import type { PaceName } from "../core/pace.js";

export interface DeviceJob {
  campaign: string;
  device: string;
  descriptor: SourceFile;
  /** The --profile given (a shipped id, or an absolute path), and the sha256 of every file it resolved to. */
  profile: { name: string; sources: SourceFile[] };
  pace: PaceName;
  /** Absolute: the device's report folder, DIR/<device id>. */
  out: string;
  redact: boolean;
  /** Where report.html will be published, for the QR code on label.svg. */
  reportUrl?: string;
  /** The campaign's run flags, paths absolute: the worker builds the run from them as `run` does. */
  flags: JobRunFlags;
  /** Absolute: the device's --attestations file, when the campaign was given one. */
  attestations?: string;
}

/** The run flags a job carries (profile, pace and redact travel beside them). */
export type JobRunFlags = Omit<RunInputFlags, "profile" | "pace" | "redact">;

export interface DeviceJobResult {
  label: string;
  complete: boolean;
  /** sha256 of the report.json written, so the coordinator knows it reads the report of this run. */
  reportSha256: string;
  worker: string;
}

/** One queue per lab network: only that lab's workers can reach its devices. */
export function queueName(lab: string): string {
  return `lab.${lab}`;
}

/** Keys of iotcert's queues start with this, away from any other BullMQ user of the same Redis. */
export const QUEUE_PREFIX = "iotcert";

/** Stable, so a rerun finds the job of an earlier run instead of adding a second (BullMQ ids have no ":"). */
export function jobId(campaign: string, device: string): string {
  return `${campaign}.${device}`;
}

/**
 * A worker holds a lock on each job it runs and renews it every half lock; a job whose lock lapsed
 * is a worker lost (killed, crashed, cut off), found by the stalled check within about
 * lock + 2 × interval. Short enough for a lab operator to see it soon, long enough that a busy
 * worker's event loop never misses a renewal.
 */
export const LOCK_MS = 10_000;
export const STALLED_CHECK_MS = 3_000;

/** Never run a device twice by accident: a stalled job fails at once instead of going back to wait. */
export const MAX_STALLED = 0;

/** BullMQ's reason for a job whose lock lapsed more often than MAX_STALLED allows. */
export const STALLED_REASON = "job stalled more than allowable limit";
/** BullMQ's reason for a job taken a second time (worker option maxStartedAttempts: 1). */
export const STARTED_TWICE_REASON = "job started more than allowable limit";
