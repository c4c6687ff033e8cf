// surface.tcp-ports: a TCP connect scan of the descriptor's port set.
import type { OpenPort } from "../../core/facts.js";
import { parsePortSet } from "../../core/ports.js";
import type { Check, CheckContext, Outcome } from "../../core/types.js";
import { TransportError } from "../../core/errors.js";
import { connectTcp, escapeBytes } from "../../transports/tcp.js";
import { sweep } from "../../transports/tcp-sweep.js";
import { RoundTrip } from "./round-trip.js";

/** Ports most devices answer on (open or closed): asked first, to tell a host that is down. */
const DISCOVERY_PORTS = [80, 443, 22, 23, 8080, 8443, 1883, 8883, 554, 5000, 7547, 49152];
const BANNER_BYTES = 256;
/** Silence on at most this share of ports reads as packet loss, worth extra passes. */
const LOSS_SHARE = 0.05;
const LOSS_EXTRA_PASSES = 2;

type PortState = "open" | "closed" | "filtered";

/** One pass over `ports`: open, closed (RST), or filtered (silence); `onOpen` hears of open ones at once. */
async function pass(ctx: CheckContext, host: string, ports: number[], timeoutMs: number, rtt: RoundTrip, onDone: () => void, onOpen: (port: number) => void): Promise<Map<number, PortState>> {
  const states = new Map<number, PortState>();
  await sweep(ctx, host, ports, { timeoutMs }, (r) => {
    if (r.state === "silent") {
      states.set(r.port, "filtered");
    } else {
      rtt.add(r.rttMs);
      states.set(r.port, r.state);
      if (r.state === "open") onOpen(r.port);
    }
    onDone();
  });
  ctx.signal.throwIfAborted();
  return states;
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
 */
async function scan(ctx: CheckContext, host: string, ports: number[], rtt: RoundTrip, onDone: () => void, onOpen: (port: number) => void): Promise<Map<number, PortState>> {
  const { connectTimeoutMs, retries } = ctx.pace.settings;
  const states = await pass(ctx, host, ports, rtt.timeoutMs(connectTimeoutMs), rtt, onDone, onOpen);
  const silent = () => [...states].filter(([, s]) => s === "filtered").map(([p]) => p);
  for (let extra = 0; ; extra++) {
    const again = silent();
    const lossy = again.length > 0 && again.length <= Math.max(LOSS_SHARE * ports.length, 1);
    if (again.length === 0 || extra >= retries + (lossy ? LOSS_EXTRA_PASSES : 0)) break;
    for (const [port, state] of await pass(ctx, host, again, rtt.timeoutMs(connectTimeoutMs), rtt, () => {}, onOpen)) states.set(port, state);
  }
  return states;
}

function discoveryPorts(ctx: CheckContext, ports: number[]): number[] {
  const inSet = new Set(ports);
  const declared = (ctx.device.declared?.openPorts ?? []).filter((p) => p.endsWith("/tcp")).map((p) => Number.parseInt(p, 10));
  const candidates = [...declared, ...DISCOVERY_PORTS].filter((p) => inSet.has(p));
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
    // Banners are read while the sweep goes on, so their wait overlaps the scan.
    const banners = new Map<number, Promise<string | undefined>>();
    const onOpen = (port: number) => {
      if (!banners.has(port)) banners.set(port, banner(ctx, host, port));
    };
    const first = await scan(ctx, host, sample, rtt, () => ctx.progress(`asking ${sample.length} ports whether the device is up`), onOpen);
    if ([...first.values()].every((s) => s === "filtered")) {
      return {
        verdict: "inconclusive",
        summary: `${host} did not answer on any of ${sample.length} ports; not scanned (device off, wrong address, or every port filtered)`,
        evidence: { askedPorts: sample },
      };
    }

    const rest = ports.filter((p) => !first.has(p));
    const started = performance.now();
    let done = 0;
    const states = await scan(ctx, host, rest, rtt, () => {
      if (++done % 256 === 0) ctx.progress(`${done} of ${rest.length} ports, ${Math.round((done / (performance.now() - started)) * 1000)}/s`);
    }, onOpen);
    for (const [port, state] of first) states.set(port, state);

    const openPorts = [...states].filter(([, s]) => s === "open").map(([p]) => p).sort((a, b) => a - b);
    ctx.progress(`reading what ${openPorts.length} open ports say first`);
    const open: OpenPort[] = await Promise.all(openPorts.map(async (port) => {
      const said = await banners.get(port);
      return said ? { port, banner: said } : { port };
    }));
    const filtered = [...states.values()].filter((s) => s === "filtered").length;
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
