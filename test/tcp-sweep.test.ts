import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pace } from "../harness/core/pace.js";
import { LEFT_FOR_OTHERS, startSweepThreads, sweep, type SweepState } from "../harness/transports/tcp-sweep.js";
import { makeContext } from "./helpers/context.js";
import { startSilentPorts, type SilentPorts } from "./helpers/silent-ports.js";

const DEVICE = { id: "loopback", vendor: "test", model: "test", firmware: "0", network: { address: "127.0.0.1" } };

/** A port nothing listens on: bound once by the kernel's choice, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function sweepAll(ports: number[], opts: { timeoutMs: number; pace?: Pace; prestarted?: boolean; abortAfterMs?: number }) {
  const ctx = makeContext({ device: DEVICE, pace: opts.pace ?? Pace.named("fast") });
  const results = new Map<number, { state: SweepState; rttMs: number | undefined; times: number }>();
  const threads = opts.prestarted ? startSweepThreads(ports.length) : undefined;
  if (opts.abortAfterMs !== undefined) setTimeout(() => ctx.abort(new Error("test abort")), opts.abortAfterMs);
  const started = performance.now();
  try {
    await sweep(ctx, "127.0.0.1", ports, { timeoutMs: opts.timeoutMs }, (port, state, rttMs) => {
      const seen = results.get(port);
      results.set(port, { state, rttMs, times: (seen?.times ?? 0) + 1 });
    }, threads);
  } finally {
    threads?.close();
  }
  return { results, seconds: (performance.now() - started) / 1000, ledger: ctx.ledger };
}

describe("TCP connect sweep", () => {
  let server: Server;
  let open: number;
  let silent: SilentPorts;
  let closed: number[];
  beforeAll(async () => {
    server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    open = (server.address() as { port: number }).port;
    silent = await startSilentPorts(12);
    closed = [await closedPort(), await closedPort()];
  });
  afterAll(() => {
    server.close();
    silent.stop();
  });

  it("tells open, closed and silent ports apart, each once, in this thread", async () => {
    const asked = [open, ...closed, silent.ports[0]!];
    const { results, ledger } = await sweepAll(asked, { timeoutMs: 300 });
    expect(results.get(open)).toMatchObject({ state: "open", times: 1 });
    for (const port of closed) expect(results.get(port)).toMatchObject({ state: "closed", times: 1 });
    expect(results.get(silent.ports[0]!)).toEqual({ state: "silent", rttMs: undefined, times: 1 });
    expect(results.get(open)!.rttMs).toBeGreaterThanOrEqual(0);
    expect(ledger.all()).toMatchObject([{ address: "127.0.0.1", protocol: "tcp", count: asked.length }]);
  });

  it("asks every one of 65535 ports once across its worker threads, started ahead or not", async () => {
    const all = Array.from({ length: 65535 }, (_, i) => i + 1);
    for (const prestarted of [true, false]) {
      const { results, ledger } = await sweepAll(all, { timeoutMs: 300, prestarted });
      expect(results.size).toBe(65535);
      expect([...results.values()].every((r) => r.times === 1)).toBe(true);
      expect(results.get(open)?.state).toBe("open");
      for (const port of closed) expect(results.get(port)?.state).toBe("closed");
      for (const port of silent.ports) expect(results.get(port)?.state).toBe("silent");
      expect(ledger.all()).toMatchObject([{ ports: "1-65535", count: 65535 }]);
    }
  });

  it("keeps to the pace's connections: silent ports hold their slots until they time out", async () => {
    // Two slots for twelve ports that each hold theirs for the whole timeout: at least six timeouts in a row.
    const pace = Pace.named("fast", { connections: LEFT_FOR_OTHERS + 2 });
    const { results, seconds } = await sweepAll(silent.ports, { timeoutMs: 200, pace });
    expect([...results.values()].map((r) => r.state)).toEqual(silent.ports.map(() => "silent"));
    expect(seconds).toBeGreaterThanOrEqual((6 * 200) / 1000 - 0.02);
  });

  it("starts no more worker threads than it has slots: one slot, one connection at a time", async () => {
    // Over 2048 ports (worker threads), twelve of them silent: with one connection at a time
    // they take twelve timeouts in a row; two workers with one each would halve that.
    const ports = [...Array.from({ length: 2100 }, (_, i) => 40_000 + i).filter((p) => !silent.ports.includes(p)), ...silent.ports];
    const pace = Pace.named("fast", { connections: LEFT_FOR_OTHERS + 1 });
    const { results, seconds } = await sweepAll(ports, { timeoutMs: 200, pace });
    expect(results.size).toBe(ports.length);
    expect(seconds).toBeGreaterThanOrEqual((12 * 200) / 1000 - 0.02);
  });

  it("stops soon after the run is interrupted, with the ports it had asked", async () => {
    const all = Array.from({ length: 65535 }, (_, i) => i + 1);
    const { results, seconds } = await sweepAll(all, { timeoutMs: 300, abortAfterMs: 150 });
    expect(results.size).toBeGreaterThan(0);
    expect(results.size).toBeLessThan(65535);
    expect(seconds).toBeLessThan(1.5);
  });
});
