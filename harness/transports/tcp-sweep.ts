// A TCP connect sweep over many ports (connect, time the answer, close), shared among worker
// threads: Node spends more time per connect than the kernel does, so one thread cannot keep
// pace with nmap on a full scan. A small sweep runs in this thread, since starting a worker
// costs more than its connects. What an open port says first is read afterwards, by the caller.
// The scope is checked here, before any worker is given a port; the sweep takes the pace's
// connection slots for itself while it runs and splits that budget and the rate among the
// workers; every probe is recorded in the ledger as its result comes back.
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { packagePath } from "../core/paths.js";
import type { ShareLimits, ShareListener } from "./sweep-share.cjs";
import type { Link } from "./tcp.js";

export type { ShareListener as SweepListener, ShareState as SweepState } from "./sweep-share.cjs";

export interface SweepLimits {
  timeoutMs: number;
}

type ShareModule = typeof import("./sweep-share.cjs");

const require = createRequire(import.meta.url);

/** Below this many ports per worker, starting another thread costs more than it saves. */
const PORTS_PER_WORKER = 2048;
const MAX_WORKERS = 4;
/** Pace slots the sweep leaves to others: the banners of the open ports are read meanwhile. */
export const LEFT_FOR_OTHERS = 8;

/**
 * Worker threads for one sweep of about `portCount` ports, started now so that they start up
 * while the caller does other work (a discovery pass); none when a sweep that size runs here.
 * The caller passes them to `sweep` and closes them after.
 */
export function startSweepThreads(portCount: number): SweepThreads | undefined {
  const count = Math.min(MAX_WORKERS, availableParallelism(), Math.ceil(portCount / PORTS_PER_WORKER));
  return portCount < PORTS_PER_WORKER ? undefined : new SweepThreads(count);
}

export async function sweep(link: Link, host: string, ports: number[], limits: SweepLimits, onResult: ShareListener, threads?: SweepThreads): Promise<void> {
  link.scope.assert(host);
  if (ports.length === 0) return;
  const { connections, connectionsPerSecond } = link.pace.settings;
  const slots = Math.max(1, Math.min(connections - LEFT_FOR_OTHERS, ports.length));
  const releases: (() => void)[] = [];
  const own = threads ? undefined : startSweepThreads(ports.length);
  try {
    for (let i = 0; i < slots; i++) releases.push(await link.pace.acquire(link.signal));
    const share = require(packagePath("harness", "transports", "sweep-share.cjs")) as ShareModule;
    // No more workers than slots: each keeps at least one connection in flight.
    const workers = (threads ?? own)?.take()?.slice(0, slots);
    if (!workers) {
      await share.sweepShare({ host, ports, ...limits, concurrency: slots, perSecond: connectionsPerSecond }, (port, state, rttMs) => {
        link.evidence.probe(host, port, "tcp");
        if (state !== "silent") link.evidence.answer(host, "tcp");
        onResult(port, state, rttMs);
      }, () => link.signal.aborted);
      return;
    }
    // Interleaved shares, so every worker sees low and high ports alike.
    await Promise.all(workers.map((worker, w) => worker.sweep(link, share.SHARE_STATES, {
      host, ...limits,
      ports: ports.filter((_, i) => i % workers.length === w),
      concurrency: Math.max(1, Math.floor(slots / workers.length)),
      perSecond: connectionsPerSecond / workers.length,
    }, onResult)));
  } finally {
    own?.close();
    releases.forEach((release) => release());
  }
}

/** Worker threads started ahead of a sweep; each sweeps once. */
export class SweepThreads {
  readonly #workers: SweepWorker[];
  #taken = false;

  constructor(count: number) {
    this.#workers = Array.from({ length: count }, () => new SweepWorker());
  }

  /** The workers, for one sweep; undefined once taken. */
  take(): SweepWorker[] | undefined {
    if (this.#taken) return undefined;
    this.#taken = true;
    return this.#workers;
  }

  close(): void {
    for (const w of this.#workers) w.close();
  }
}

interface Batch {
  size: number;
  ports: Uint16Array;
  states: Uint8Array;
  rtts: Float32Array;
}

class SweepWorker {
  readonly #worker = new Worker(packagePath("harness", "transports", "sweep-worker.cjs"));
  /** What ended the thread before its sweep was done; heard at once even while nobody sweeps. */
  #failure: Error | undefined;
  #onFailure: ((err: Error) => void) | undefined;

  constructor() {
    const fail = (err: Error) => {
      this.#failure ??= err;
      this.#onFailure?.(err);
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", (code) => fail(new Error(`sweep worker stopped (exit code ${code}) before its sweep was done`)));
  }

  sweep(link: Link, states: ShareModule["SHARE_STATES"], share: ShareLimits, onResult: ShareListener): Promise<void> {
    const worker = this.#worker;
    return new Promise((resolve, reject) => {
      const stop = () => worker.postMessage("stop");
      const settle = (outcome: () => void) => {
        link.signal.removeEventListener("abort", stop);
        this.#onFailure = undefined;
        outcome();
      };
      if (this.#failure) {
        reject(this.#failure);
        return;
      }
      this.#onFailure = (err) => settle(() => reject(err));
      link.signal.addEventListener("abort", stop, { once: true });
      worker.on("message", (m: Batch | { done: true }) => {
        if ("done" in m) {
          settle(resolve);
          return;
        }
        link.evidence.probes(share.host, m.ports.subarray(0, m.size), "tcp");
        for (let i = 0; i < m.size; i++) {
          const rtt = m.rtts[i]!;
          if (states[m.states[i]!] !== "silent") link.evidence.answer(share.host, "tcp");
          onResult(m.ports[i]!, states[m.states[i]!]!, Number.isNaN(rtt) ? undefined : rtt);
        }
      });
      worker.postMessage(share);
    });
  }

  close(): void {
    this.#onFailure = undefined;
    this.#worker.removeAllListeners("exit");
    void this.#worker.terminate();
  }
}
