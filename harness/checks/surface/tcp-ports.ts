// surface.tcp-ports: a TCP connect scan of the descriptor's port set.
import type { OpenPort } from "../../core/facts.js";
import { inSortedPorts, parsePortSet } from "../../core/ports.js";
import type { Check, CheckContext, Outcome } from "../../core/types.js";
import { TransportError } from "../../core/errors.js";
import { connectTcp, escapeBytes } from "../../transports/tcp.js";
import { startSweepThreads, sweep, type SweepThreads } from "../../transports/tcp-sweep.js";
import { RoundTrip } from "./round-trip.js";

/** Ports most devices answer on (open or closed): asked first, to tell a host that is down. */
const DISCOVERY_PORTS = [80, 443, 22, 23, 8080, 8443, 1883, 8883, 554, 5000, 7547, 49152];
const BANNER_BYTES = 256;
/** Silence on at most this share of ports reads as packet loss, worth extra passes. */
const LOSS_SHARE = 0.05;
const LOSS_EXTRA_PASSES = 2;

/**
 * One pass over `ports`, each answered (SYN-ACK or RST) or silent; `onOpen` hears of open ones
 * at once. Returns the ports that stayed silent.
 */
async function pass(ctx: CheckContext, host: string, ports: number[], timeoutMs: number, rtt: RoundTrip, onDone: () => void, onOpen: (port: number) => void, threads?: SweepThreads): Promise<number[]> {
  const silent: number[] = [];
  await sweep(ctx, host, ports, { timeoutMs }, (port, state, rttMs) => {
    if (rttMs === undefined) {
      silent.push(port);
    } else {
      rtt.add(rttMs);
      if (state === "open") onOpen(port);
    }
    onDone();
  }, threads);
  ctx.signal.throwIfAborted();
  return silent;
}

/** What an open port says unasked within the banner wait (nothing is sent), bounded. */
async function banner(ctx: CheckContext, host: string, port: number): Promise<string | undefined> {
  const { connectTimeoutMs, bannerWaitMs } = ctx.pace.settings;
  try {
    const conn = await connectTcp(ctx, host, port, connectTimeoutMs);
    try {
      const { data } = await conn.read({ maxBytes: BANNER_BYTES, timeoutMs: bannerWaitMs });
      return data.length ? escapeBytes(data, BANNER_BYTES) : undefined;
    } finally {
      conn.close();
    }
  } catch (err) {
    // No banner is an answer too; an abort is the scan's to report, and it does.
    if (err instanceof TransportError || ctx.signal.aborted) return undefined;
    throw err;
  }
}

/**
 * Scan in passes: every port once, then the ports that stayed silent again. When silence is
 * rare (the host answers RST elsewhere) it is loss, not a firewall, and earns extra passes.
 * Returns the ports silent to the end (filtered).
 */
async function scan(ctx: CheckContext, host: string, ports: number[], rtt: RoundTrip, onDone: () => void, onOpen: (port: number) => void, threads?: SweepThreads): Promise<number[]> {
  const { connectTimeoutMs, retries } = ctx.pace.settings;
  let silent = await pass(ctx, host, ports, rtt.timeoutMs(connectTimeoutMs), rtt, onDone, onOpen, threads);
  for (let extra = 0; ; extra++) {
    const lossy = silent.length > 0 && silent.length <= Math.max(LOSS_SHARE * ports.length, 1);
    if (silent.length === 0 || extra >= retries + (lossy ? LOSS_EXTRA_PASSES : 0)) break;
    silent = await pass(ctx, host, silent, rtt.timeoutMs(connectTimeoutMs), rtt, () => {}, onOpen);
  }
  return silent;
}

function discoveryPorts(ctx: CheckContext, ports: number[]): number[] {
  const declared = (ctx.device.declared?.openPorts ?? []).filter((p) => p.endsWith("/tcp")).map((p) => Number.parseInt(p, 10));
  const candidates = [...declared, ...DISCOVERY_PORTS].filter((p) => inSortedPorts(ports, p));
  // A small port set is its own discovery; a large one is sampled at its start too.
  return [...new Set([...candidates, ...ports.slice(0, 16)])];
}

export const tcpPorts: Check = {
  id: "surface.tcp-ports",
  title: "Open TCP ports",
  description:
    "Finds the device's open TCP ports with a full connect scan of the descriptor's port set (all 65535 by default), " +
    "paced by the run's connection rate and concurrency, retrying ports that time out. First asks a few common ports " +
    "to tell a device that is off from one that is on, then records every open port and the first bytes it sends unasked.",
  effect: "observe",
  needs: ["ip"],
  produces: ["tcp.open"],
  timeoutMs: 60 * 60_000,

  plan(device, pace) {
    const ports = parsePortSet(device.network?.tcpPorts);
    const first = ports[0] ?? 0;
    const last = ports[ports.length - 1] ?? 0;
    return [{
      address: device.network?.address ?? "",
      port: ports.length === 1 ? first : `${first}-${last} (${ports.length} ports)`,
      protocol: "tcp connect",
      count: `${ports.length} to ${ports.length * (1 + pace.settings.retries)}`,
      note: `up to ${pace.settings.connections} at once, ${pace.settings.connectionsPerSecond}/s`,
    }];
  },

  async run(ctx): Promise<Outcome> {
    const host = ctx.device.network!.address;
    const ports = parsePortSet(ctx.device.network!.tcpPorts);

    const rtt = new RoundTrip();

    const sample = discoveryPorts(ctx, ports);
    // The full sweep's threads start now, so that they are up by the time discovery has answered.
    const threads = startSweepThreads(ports.length - sample.length);
    // Banners are read while the sweep goes on, so their wait overlaps the scan.
    const banners = new Map<number, Promise<string | undefined>>();
    const onOpen = (port: number) => {
      if (!banners.has(port)) banners.set(port, banner(ctx, host, port));
    };
    let filtered: number;
    try {
      const unanswered = await scan(ctx, host, sample, rtt, () => ctx.progress(`asking ${sample.length} ports whether the device is up`), onOpen);
      if (unanswered.length === sample.length) {
        return {
          verdict: "inconclusive",
          summary: `${host} did not answer on any of ${sample.length} ports; not scanned (device off, wrong address, or every port filtered)`,
          evidence: { askedPorts: sample },
        };
      }
      const asked = new Set(sample);
      const rest = ports.filter((p) => !asked.has(p));
      const started = performance.now();
      let done = 0;
      filtered = unanswered.length + (await scan(ctx, host, rest, rtt, () => {
        if (++done % 256 === 0) ctx.progress(`${done} of ${rest.length} ports, ${Math.round((done / (performance.now() - started)) * 1000)}/s`);
      }, onOpen, threads)).length;
    } finally {
      threads?.close();
    }

    const openPorts = [...banners.keys()].sort((a, b) => a - b);
    ctx.progress(`reading what ${openPorts.length} open ports say first`);
    const open: OpenPort[] = await Promise.all(openPorts.map(async (port) => {
      const said = await banners.get(port);
      return said ? { port, banner: said } : { port };
    }));
    const summary = `${open.length} open of ${ports.length} scanned` + (filtered ? `, ${filtered} filtered (no answer)` : "");
    // With nothing open there is nothing observed to publish: later checks must not pass on it.
    if (open.length === 0) {
      return { verdict: "inconclusive", summary: `${summary}: nothing to test on ${host}`, evidence: { scanned: ports.length, filtered, medianRttMs: rtt.medianMs() } };
    }
    ctx.facts.set("tcp.open", open);
    const evidence = { scanned: ports.length, filtered, medianRttMs: rtt.medianMs(), timeoutMs: rtt.timeoutMs(ctx.pace.settings.connectTimeoutMs) };
    return { verdict: "pass", summary: `${summary}: ${open.map((p) => p.port).join(", ")}`, evidence };
  },
};
