// A TCP connect sweep over many ports (connect, time the answer, close), shared among worker
// threads: Node spends more time per connect than the kernel does, so one thread cannot keep
// pace with nmap on a full scan. A small sweep runs in this thread, since starting a worker
// costs more than its connects. What an open port says first is read afterwards, by the caller.
// The scope is checked here, before any worker starts; the sweep takes the pace's connection
// slots for itself while it runs and splits that budget and the rate among the workers; every
// probe is recorded in the ledger as its result comes back.
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { packagePath } from "../core/paths.js";
import type { ShareLimits, ShareResult } from "./sweep-share.mjs";
import type { Link } from "./tcp.js";

export type SweepResult = ShareResult;

export interface SweepLimits {
  timeoutMs: number;
}

/** Below this many ports per worker, starting another thread costs more than it saves. */
const PORTS_PER_WORKER = 2048;
const MAX_WORKERS = 4;
/** Pace slots the sweep leaves to others: the banners of the open ports are read meanwhile. */
const LEFT_FOR_OTHERS = 8;

export async function sweep(link: Link, host: string, ports: number[], limits: SweepLimits, onResult: (r: SweepResult) => void): Promise<void> {
  link.scope.assert(host);
  if (ports.length === 0) return;
  const { connections, connectionsPerSecond } = link.pace.settings;
  const slots = Math.max(1, Math.min(connections - LEFT_FOR_OTHERS, ports.length));
  const releases: (() => void)[] = [];
  try {
    for (let i = 0; i < slots; i++) releases.push(await link.pace.acquire(link.signal));
    if (ports.length < PORTS_PER_WORKER) {
      await runHere(link, { host, ports, ...limits, concurrency: slots, perSecond: connectionsPerSecond }, onResult);
      return;
    }
    const count = Math.max(1, Math.min(MAX_WORKERS, availableParallelism(), Math.ceil(ports.length / PORTS_PER_WORKER)));
    // Interleaved shares, so every worker sees low and high ports alike.
    const shares = Array.from({ length: count }, (_, w) => ports.filter((_, i) => i % count === w));
    await Promise.all(shares.map((share) => runWorker(link, host, share, {
      ...limits,
      concurrency: Math.max(1, Math.floor(slots / count)),
      perSecond: connectionsPerSecond / count,
    }, onResult)));
  } finally {
    releases.forEach((release) => release());
  }
}

async function runHere(link: Link, limits: ShareLimits, onResult: (r: SweepResult) => void): Promise<void> {
  const { sweepShare } = (await import(pathToFileURL(packagePath("harness", "transports", "sweep-share.mjs")).href)) as typeof import("./sweep-share.mjs");
  await sweepShare(limits, (r) => {
    link.evidence.probe(limits.host, r.port, "tcp");
    onResult(r);
  }, () => link.signal.aborted);
}

function runWorker(link: Link, host: string, ports: number[], options: SweepLimits & { concurrency: number; perSecond: number }, onResult: (r: SweepResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(packagePath("harness", "transports", "sweep-worker.mjs"), { workerData: { host, ports, ...options } });
    const stop = () => worker.postMessage("stop");
    link.signal.addEventListener("abort", stop, { once: true });
    const settle = (outcome: () => void) => {
      link.signal.removeEventListener("abort", stop);
      void worker.terminate();
      outcome();
    };
    worker.on("message", (m: { results?: SweepResult[]; done?: boolean }) => {
      for (const r of m.results ?? []) {
        link.evidence.probe(host, r.port, "tcp");
        onResult(r);
      }
      if (m.done) settle(resolve);
    });
    worker.once("error", (err) => settle(() => reject(err)));
  });
}
