// How hard a run may push a device: concurrent connections, new connections per second, login
// attempts per service, and how long to wait for an answer. Every connection a transport opens
// takes a slot here first.
import { setTimeout as sleep } from "node:timers/promises";

export type PaceName = "gentle" | "normal" | "fast";

export interface PaceSettings {
  name: PaceName;
  /** Checks running at the same time. */
  checkConcurrency: number;
  /** Connections open to the device at the same time. */
  connections: number;
  /** New connections per second. */
  connectionsPerSecond: number;
  /** Login attempts per service before a credential check stops. */
  attemptsPerService: number;
  /** Login attempts under way at once on one service (hydra's default is 16 tasks). */
  loginsAtOnce: number;
  connectTimeoutMs: number;
  /** Extra tries for a probe that timed out (never for one that was refused). */
  retries: number;
  /** How long to wait for a port to speak first (its banner). */
  bannerWaitMs: number;
  /** Engine limit for one check unless the check asks for longer. */
  checkTimeoutMs: number;
  /** How often the engine checks, during a long check, that the device still answers. */
  heartbeatIntervalMs: number;
  /** Pauses between heartbeat retries before the device is declared unresponsive. */
  heartbeatBackoffMs: number[];
}

export const PACES: Record<PaceName, PaceSettings> = {
  gentle: {
    name: "gentle", checkConcurrency: 1, connections: 8, connectionsPerSecond: 50,
    attemptsPerService: 10, loginsAtOnce: 1, connectTimeoutMs: 3000, retries: 2, bannerWaitMs: 2000, checkTimeoutMs: 30 * 60_000,
    heartbeatIntervalMs: 10_000, heartbeatBackoffMs: [2000, 4000, 8000],
  },
  normal: {
    name: "normal", checkConcurrency: 2, connections: 64, connectionsPerSecond: 1000,
    attemptsPerService: 30, loginsAtOnce: 4, connectTimeoutMs: 1500, retries: 1, bannerWaitMs: 1500, checkTimeoutMs: 10 * 60_000,
    heartbeatIntervalMs: 5000, heartbeatBackoffMs: [1000, 2000, 4000],
  },
  fast: {
    name: "fast", checkConcurrency: 4, connections: 256, connectionsPerSecond: 100_000,
    attemptsPerService: 100, loginsAtOnce: 16, connectTimeoutMs: 1000, retries: 1, bannerWaitMs: 1000, checkTimeoutMs: 5 * 60_000,
    heartbeatIntervalMs: 3000, heartbeatBackoffMs: [500, 1000, 2000],
  },
};

export function isPaceName(name: string): name is PaceName {
  return Object.hasOwn(PACES, name);
}

export class Pace {
  readonly settings: PaceSettings;
  #open = 0;
  readonly #waiting: (() => void)[] = [];
  #nextStart = 0;

  constructor(settings: PaceSettings) {
    this.settings = settings;
  }

  static named(name: PaceName, overrides: Partial<PaceSettings> = {}): Pace {
    return new Pace({ ...PACES[name], ...overrides });
  }

  /**
   * Wait for a free connection slot and for the rate limit, then return the function that gives
   * the slot back. Call it exactly once, when the connection is closed.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#open >= this.settings.connections) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.#waiting.indexOf(wake);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(signal?.reason);
        };
        this.#waiting.push(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    this.#open++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#open--;
      this.#waiting.shift()?.();
    };
    try {
      await this.#waitForRate(signal);
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  async #waitForRate(signal?: AbortSignal): Promise<void> {
    const interval = 1000 / this.settings.connectionsPerSecond;
    const now = performance.now();
    const start = Math.max(now, this.#nextStart);
    this.#nextStart = start + interval;
    // Waits under a millisecond are batched: timers cannot be that precise anyway.
    if (start - now >= 1) await sleep(start - now, undefined, { signal });
  }
}
