// surface.tcp-ports: a TCP connect scan of the descriptor's port set.
import type { OpenPort } from "../../core/facts.js";
import { parsePortSet } from "../../core/ports.js";
import type { Check, CheckContext, Outcome } from "../../core/types.js";
import { escapeBytes } from "../../transports/tcp.js";
import { sweep } from "../../transports/tcp-sweep.js";
import { RoundTrip } from "./round-trip.js";

/** Ports most devices answer on (open or closed): asked first, to tell a host that is down. */
const DISCOVERY_PORTS = [80, 443, 22, 23, 8080, 8443, 1883, 8883, 554, 5000, 7547, 49152];
const BANNER_BYTES = 256;
/** Silence on at most this share of ports reads as packet loss, worth extra passes. */
const LOSS_SHARE = 0.05;
const LOSS_EXTRA_PASSES = 2;

type PortState = { state: "open"; banner?: string } | { state: "closed" } | { state: "filtered" };

/** One pass over `ports`: open (with what it says first), closed (RST), or filtered (silence). */
async function pass(ctx: CheckContext, host: string, ports: number[], timeoutMs: number, rtt: RoundTrip, onDone: () => void): Promise<Map<number, PortState>> {
  const states = new Map<number, PortState>();
  await sweep(ctx, host, ports, { timeoutMs, bannerWaitMs: ctx.pace.settings.bannerWaitMs, bannerBytes: BANNER_BYTES }, (r) => {
    if (r.state === "silent") {
      states.set(r.port, { state: "filtered" });
    } else {
      rtt.add(r.rttMs);
      const banner = r.state === "open" && r.banner?.length ? escapeBytes(Buffer.from(r.banner), BANNER_BYTES) : undefined;
      states.set(r.port, r.state === "closed" ? { state: "closed" } : banner ? { state: "open", banner } : { state: "open" });
    }
    onDone();
  });
  ctx.signal.throwIfAborted();
  return states;
}

/**
 * Scan in passes: every port once, then the ports that stayed silent again. When silence is
 * rare (the host answers RST elsewhere) it is loss, not a firewall, and earns extra passes.
 */
async function scan(ctx: CheckContext, host: string, ports: number[], rtt: RoundTrip, onDone: () => void): Promise<Map<number, PortState>> {
  const { connectTimeoutMs, retries } = ctx.pace.settings;
  const states = await pass(ctx, host, ports, rtt.timeoutMs(connectTimeoutMs), rtt, onDone);
  const silent = () => [...states].filter(([, s]) => s.state === "filtered").map(([p]) => p);
  for (let extra = 0; ; extra++) {
    const again = silent();
    const lossy = again.length > 0 && again.length <= Math.max(LOSS_SHARE * ports.length, 1);
    if (again.length === 0 || extra >= retries + (lossy ? LOSS_EXTRA_PASSES : 0)) break;
    for (const [port, state] of await pass(ctx, host, again, rtt.timeoutMs(connectTimeoutMs), rtt, () => {})) states.set(port, state);
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
    const first = await scan(ctx, host, sample, rtt, () => ctx.progress(`asking ${sample.length} ports whether the device is up`));
    if ([...first.values()].every((s) => s.state === "filtered")) {
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
    });
    for (const [port, state] of first) states.set(port, state);

    const open: OpenPort[] = [...states]
      .filter((e): e is [number, { state: "open"; banner?: string }] => e[1].state === "open")
      .sort((a, b) => a[0] - b[0])
      .map(([port, s]) => (s.banner ? { port, banner: s.banner } : { port }));
    const filtered = [...states.values()].filter((s) => s.state === "filtered").length;
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
