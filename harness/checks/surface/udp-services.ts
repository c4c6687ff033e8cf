// surface.udp-services: which UDP services answer a protocol probe, and which of them answer a
// small request with a much bigger one (a reflection/amplification risk).
import { loadData } from "../../core/data.js";
import { parsePortSet } from "../../core/ports.js";
import { TransportError } from "../../core/errors.js";
import type { UdpService } from "../../core/facts.js";
import { fragileReason } from "../../core/fragile.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import type { Descriptor } from "../../schema/types.js";
import { escapeBytes } from "../../transports/tcp.js";
import { udpExchange, type UdpAnswer } from "../../transports/udp.js";

interface PatternData {
  regex: string;
  flags?: string;
}

interface ProbeData {
  service: string;
  port: number;
  payload: string;
  match?: { hex: string } | PatternData;
  product?: PatternData;
  anyPort?: boolean;
  waitMs?: number;
  /** Payloads sent in turn when the first got no answer (an older or a newer form of the protocol). */
  fallback?: string | string[];
}

interface AmplificationData {
  default: number;
  high: number;
  services: Record<string, number>;
}

export interface UdpProbe {
  service: string;
  port: number;
  payload: Buffer;
  /** The answer is this service (always true for a probe that names no match). */
  matches(datagram: Buffer): boolean;
  product?: RegExp;
  anyPort: boolean;
  waitMs: number;
  fallbacks: Buffer[];
}

/** The name of a service that answered but did not look like the one asked. */
const UNKNOWN = "unknown";
/** Per probe: far beyond any honest discovery answer, small enough to hold. */
const ANSWER_BYTES = 64 * 1024;
const ANSWER_DATAGRAMS = 64;
const BANNER_BYTES = 256;
const PRODUCT_BYTES = 128;

function parseHex(text: string, what: string): Buffer {
  const hex = text.replace(/\s+/g, "");
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) throw new Error(`udp-probes.yaml: ${what} is not hex`);
  return Buffer.from(hex, "hex");
}

// Answers are matched as latin1 text, one character per byte. "g" and "y" would make test() stateful.
const compile = (p: PatternData) => new RegExp(p.regex, (p.flags ?? "").replace(/[gy]/g, ""));

function toProbe(d: ProbeData): UdpProbe {
  const m = d.match;
  let matches: (datagram: Buffer) => boolean = () => true;
  if (m && "hex" in m) {
    const prefix = parseHex(m.hex, `${d.service} match`);
    matches = (datagram) => datagram.subarray(0, prefix.length).equals(prefix);
  } else if (m) {
    const re = compile(m);
    matches = (datagram) => re.test(datagram.toString("latin1"));
  }
  return {
    service: d.service,
    port: d.port,
    payload: parseHex(d.payload, `${d.service} payload`),
    matches,
    ...(d.product ? { product: compile(d.product) } : {}),
    anyPort: d.anyPort ?? false,
    waitMs: d.waitMs ?? 0,
    fallbacks: [d.fallback ?? []].flat().map((hex) => parseHex(hex, `${d.service} fallback`)),
  };
}

/** The probes of harness/data/udp-probes.yaml, payloads decoded. */
export function udpProbes(): UdpProbe[] {
  return loadData<{ probes: ProbeData[] }>("udp-probes.yaml").probes.map(toProbe);
}

/**
 * Each probe at its usual port, then every other declared UDP port with the generic payload; or,
 * when the descriptor names network.udpPorts, exactly those ports (the known probe where there is
 * one, the generic payload elsewhere).
 */
function targets(device: Descriptor): UdpProbe[] {
  const probes = udpProbes();
  const generic = loadData<{ generic: { payload: string } }>("udp-probes.yaml").generic.payload;
  const chosen = device.network?.udpPorts;
  const wanted = chosen === undefined
    ? (device.declared?.openPorts ?? []).filter((p) => p.endsWith("/udp")).map((p) => Number.parseInt(p, 10))
    : parsePortSet(chosen);
  const inSet = new Set(wanted);
  const known = chosen === undefined ? probes : probes.filter((p) => inSet.has(p.port));
  const covered = new Set(known.map((p) => p.port));
  return [...known, ...wanted.filter((p) => !covered.has(p)).map((port) => toProbe({ service: UNKNOWN, port, payload: generic }))];
}

type Result =
  /** `sent`: the payload that was answered. */
  | { state: "answered"; answer: UdpAnswer; sent: Buffer }
  | { state: "silent" }
  | { state: "refused" }
  | { state: "unreachable" }
  | { state: "fragile" };

/**
 * Ask one port, again on silence: UDP loses datagrams, and a lost one looks like a closed port.
 * A probe with fallbacks sends each in turn, the same way, while the ones before got no answer.
 */
async function ask(ctx: CheckContext, host: string, probe: UdpProbe): Promise<Result> {
  const { connectTimeoutMs, retries } = ctx.pace.settings;
  const limits = {
    timeoutMs: Math.max(connectTimeoutMs, probe.waitMs),
    maxBytes: ANSWER_BYTES,
    maxDatagrams: ANSWER_DATAGRAMS,
    anyPort: probe.anyPort,
  };
  for (const payload of [probe.payload, ...probe.fallbacks]) {
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        const answer = await udpExchange(ctx, host, probe.port, payload, limits);
        if (answer.datagrams.length) return { state: "answered", answer, sent: payload };
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        if (err.kind === "refused") return { state: "refused" };
        if (err.kind === "fragile-port") return { state: "fragile" };
        // No route, or a router's ICMP host unreachable: nothing can be observed at that address.
        if (err.kind === "unreachable") return { state: "unreachable" };
        throw err;
      }
    }
  }
  return { state: "silent" };
}

function productOf(probe: UdpProbe, datagrams: Buffer[]): string | undefined {
  if (!probe.product) return undefined;
  for (const d of datagrams) {
    const found = probe.product.exec(d.toString("latin1"))?.groups?.product;
    if (found) return escapeBytes(Buffer.from(found, "latin1"), PRODUCT_BYTES).trim();
  }
  return undefined;
}

function describe(probe: UdpProbe, answer: UdpAnswer, sent: Buffer): UdpService {
  const named = answer.datagrams.some((d) => probe.matches(d));
  const product = named ? productOf(probe, answer.datagrams) : undefined;
  return {
    port: probe.port,
    service: named ? probe.service : UNKNOWN,
    ...(product ? { product } : {}),
    requestBytes: sent.length,
    responseBytes: answer.bytes,
    banner: escapeBytes(answer.datagrams[0]!, BANNER_BYTES),
  };
}

function findingsFor(found: { service: UdpService; truncated: boolean }[], address: string): { amplification: FindingInput[]; other: FindingInput[] } {
  const limits = loadData<AmplificationData>("udp-amplification.yaml");
  const amplification: FindingInput[] = [];
  const other: FindingInput[] = [];
  for (const { service: s, truncated } of found) {
    const target = { transport: "udp" as const, address, port: s.port, service: s.service };
    const factor = s.responseBytes / s.requestBytes;
    const threshold = limits.services[s.service] ?? limits.default;
    if (factor > threshold) {
      const atLeast = truncated ? "at least " : "";
      amplification.push({
        severity: factor >= limits.high ? "high" : "medium",
        title: `${s.service} on port ${s.port}/udp answers ${s.requestBytes} bytes with ${atLeast}${s.responseBytes} (${atLeast}${factor.toFixed(1)}x): usable for reflection/amplification`,
        target,
        evidence: { requestBytes: s.requestBytes, responseBytes: s.responseBytes, factor: Math.round(factor * 100) / 100, threshold, ...(truncated ? { truncated } : {}) },
      });
    }
    // UPnP discovery answering a unicast request: the interface behind router port-forwarding
    // abuse and SSDP reflection, which should not be reachable beyond the local network.
    if (s.service === "ssdp") {
      other.push({
        severity: "low",
        title: `UPnP/SSDP answers M-SEARCH on port ${s.port}/udp`,
        target,
        evidence: s.product ? { server: s.product } : {},
      });
    }
  }
  return { amplification, other };
}

export const udpServices: Check = {
  id: "surface.udp-services",
  title: "UDP services and amplification",
  description:
    "Finds UDP services by sending each a request of its own protocol (CoAP, DTLS, SNMP, SSDP, mDNS, NTP, DNS, " +
    "TFTP, WS-Discovery and IoT vendor discovery, from harness/data/udp-probes.yaml) to its default port and to every " +
    "declared UDP port, retrying on silence (SNMP in v2c, then in SNMPv1, then the SNMPv3 engine discovery). A UDP port counts as open only when it answers. Fails when an answer is " +
    "larger than its request by more than the factor in harness/data/udp-amplification.yaml, which makes the device " +
    "a reflector for denial-of-service attacks. Fragile ports get nothing unless allowed.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.open"],
  produces: ["udp.services"],

  plan(device, pace) {
    const retries = pace.settings.retries;
    return targets(device).map((p) => ({
      address: device.network?.address ?? "",
      port: p.port,
      protocol: `udp ${p.service === UNKNOWN ? "generic" : p.service}`,
      count: retries || p.fallbacks.length ? `1 to ${(1 + retries) * (1 + p.fallbacks.length)}` : 1,
      ...(fragileReason(p.port) ? { note: "fragile port: sent only with --allow-fragile" } : p.fallbacks.length ? { note: "other forms of the request in turn while one gets no answer" } : {}),
    }));
  },

  async run(ctx): Promise<Outcome> {
    const host = ctx.device.network!.address;
    const probes = targets(ctx.device);
    if (probes.length === 0) {
      ctx.facts.set("udp.services", []);
      return { verdict: "not-applicable", summary: "the descriptor's network.udpPorts names no UDP port to probe" };
    }
    const results = new Map<UdpProbe, Result>();
    let next = 0;
    const worker = async () => {
      while (next < probes.length) {
        const probe = probes[next++]!;
        ctx.progress(`${probe.service} on ${probe.port}/udp`);
        results.set(probe, await ask(ctx, host, probe));
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, ctx.pace.settings.connections, probes.length) }, worker));

    const found: { service: UdpService; truncated: boolean }[] = [];
    const ports = (state: Result["state"]) => probes.filter((p) => results.get(p)?.state === state).map((p) => p.port);
    for (const probe of probes) {
      const r = results.get(probe);
      if (r?.state === "answered") found.push({ service: describe(probe, r.answer, r.sent), truncated: r.answer.truncated });
    }
    found.sort((a, b) => a.service.port - b.service.port);

    const unreachable = ports("unreachable");
    if (found.length === 0 && unreachable.length) {
      return { verdict: "inconclusive", summary: `${host} is unreachable (no route, or ICMP host unreachable); no UDP service observed`, evidence: { unreachable } };
    }
    // Silence from a device that showed no sign of life on TCP either cannot be told apart from
    // a device that is off: that is no observation to pass on.
    if (found.length === 0 && !ctx.facts.get("tcp.open")?.length) {
      return { verdict: "inconclusive", summary: `no UDP service answered ${probes.length} probes, and no TCP port is open: the device may be off or unreachable` };
    }
    // Silence is what most UDP ports give, open or not, so an empty list is an observation like
    // any other, not a failure to observe: the fact is set either way. A device that is off is
    // silent too; the summary says when not even an ICMP port unreachable came back, and the TCP
    // scan and the engine's heartbeat are what tell that case apart.
    ctx.facts.set("udp.services", found.map((f) => f.service));

    const fragile = ports("fragile");
    const refused = ports("refused");
    const asked = probes.length - fragile.length;
    const notes = [
      refused.length ? `${refused.length} refused (ICMP port unreachable)` : "no ICMP port unreachable either (filtered, or the device is off)",
      ...(fragile.length ? [`fragile port${fragile.length > 1 ? "s" : ""} ${fragile.join(", ")} not probed`] : []),
    ].join("; ");
    const evidence = { probed: probes.filter((p) => !fragile.includes(p.port)).map((p) => p.port), answered: found.map((f) => f.service.port), refused, fragile };
    const { amplification, other } = findingsFor(found, host);
    const findings = [...amplification, ...other];

    if (found.length === 0) return { verdict: "pass", summary: `no UDP service answered ${asked} probes; ${notes}`, findings, evidence };
    const list = found.map(({ service: s }) => `${s.port}/${s.service} (${s.requestBytes}→${s.responseBytes} B)`).join(", ");
    const summary = `${found.length} of ${asked} probed UDP ports answered: ${list}; ${notes}`;
    if (amplification.length === 0) return { verdict: "pass", summary, findings, evidence };
    return { verdict: "fail", summary: `amplification on ${amplification.map((f) => `${f.target!.port}/udp`).join(", ")}; ${summary}`, findings, evidence };
  },
};
