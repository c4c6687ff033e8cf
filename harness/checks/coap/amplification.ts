// coap.amplification: how many bytes a CoAP endpoint sends back for one small request. UDP lets
// anyone forge the source address, so an endpoint that answers big is a reflector for DDoS; CoAP
// reflection attacks have been seen at tens of times the request.
import { loadData } from "../../core/data.js";
import { TransportError } from "../../core/errors.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import { coapTransfer, pathSegments, type CoapExchange, type CoapTransfer } from "../../transports/coap.js";
import { coapEndpoint, localPath, plannedEndpoint, shown } from "./endpoint.js";

const MAX_RESOURCES = 32;
const MAX_BODY = 64 * 1024;
const MAX_BLOCKS = 64;

interface AmplificationData {
  default: number;
  high: number;
  services: Record<string, number>;
}

export interface Measurement {
  what: string;
  /** The one request an attacker would send, and every byte that came back for it. */
  first: CoapExchange;
  /** The whole transfer, block-wise where the endpoint splits the body. */
  blocks: number;
  requestBytes: number;
  responseBytes: number;
  complete: boolean;
}

/** The profile's threshold, else udp-amplification.yaml's for CoAP, else its default. */
function thresholds(ctx: CheckContext): { threshold: number; high: number; source: string } {
  const data = loadData<AmplificationData>("udp-amplification.yaml");
  const fromProfile = ctx.profile.parameters?.amplificationFactor;
  if (fromProfile !== undefined) return { threshold: fromProfile, high: Math.max(data.high, fromProfile), source: `profile ${ctx.profile.id}` };
  const coap = data.services.coap;
  return { threshold: coap ?? data.default, high: data.high, source: "harness/data/udp-amplification.yaml" };
}

const factorOf = (e: { requestBytes: number; responseBytes: number }) => e.responseBytes / e.requestBytes;
/** The factor as printed: the two byte counts divided, two decimals. */
export const printedFactor = (e: { requestBytes: number; responseBytes: number }) => factorOf(e).toFixed(2);

function measurement(what: string, t: CoapTransfer): Measurement {
  return {
    what,
    first: t.exchanges[0]!,
    blocks: t.exchanges.length,
    requestBytes: t.exchanges.reduce((n, e) => n + e.requestBytes, 0),
    responseBytes: t.exchanges.reduce((n, e) => n + e.responseBytes, 0),
    complete: t.complete,
  };
}

export const amplification: Check = {
  id: "coap.amplification",
  title: "CoAP reflection and amplification",
  description:
    "Measures, in bytes on the wire (UDP payload), how much a CoAP endpoint sends back for one request: for " +
    "GET /.well-known/core and for the largest resource it lists, whose size is found by reading each one " +
    "(block-wise included). Every datagram answering a request is counted, duplicates too. Fails when response " +
    "bytes over request bytes exceed the profile's threshold (parameters.amplificationFactor), else the one in " +
    "harness/data/udp-amplification.yaml: such an endpoint can be aimed at a victim with a forged source address.",
  effect: "observe",
  needs: ["coap"],
  consumes: ["coap.resources", "udp.services"],

  plan(device) {
    const { host, port } = plannedEndpoint(device);
    return [
      { address: host, port, protocol: "coap GET /.well-known/core", count: "1 or more (block-wise)" },
      { address: host, port, protocol: "coap GET", count: `each listed resource once to size it (up to ${MAX_RESOURCES}), the largest again` },
    ];
  },

  async run(ctx): Promise<Outcome> {
    const endpoint = coapEndpoint(ctx);
    if ("none" in endpoint) return { verdict: "not-applicable", summary: endpoint.none };
    const { host, port } = endpoint;
    const where = `${host}:${port}/udp`;
    const timeoutMs = ctx.pace.settings.connectTimeoutMs * 2;
    // Every datagram within the time counts: the endpoint's duplicates are part of what it reflects.
    const measure = { timeoutMs, maxBytes: 64 * 1024, maxBodyBytes: MAX_BODY, maxBlocks: MAX_BLOCKS, collectAll: true };
    const measured: Measurement[] = [];
    try {
      ctx.progress("GET /.well-known/core");
      const discovery = await coapTransfer(ctx, host, port, { method: "GET", path: [".well-known", "core"] }, measure);
      if (discovery.exchanges[0]!.responseBytes > 0) measured.push(measurement("GET /.well-known/core", discovery));

      const listed = ctx.facts.get("coap.resources")?.resources ?? [];
      const paths = [...new Set(listed.map((r) => localPath(r.target, host)).filter((p): p is string => !!p && p !== "/.well-known/core"))].slice(0, MAX_RESOURCES);
      let largest: { path: string; bytes: number } | undefined;
      for (const path of paths) {
        ctx.progress(`sizing ${shown(path)}`);
        const t = await coapTransfer(ctx, host, port, { method: "GET", path: pathSegments(path) }, { ...measure, collectAll: false });
        const bytes = t.exchanges.reduce((n, e) => n + e.responseBytes, 0);
        if (t.code && (!largest || bytes > largest.bytes)) largest = { path, bytes };
      }
      if (largest) {
        ctx.progress(`GET ${shown(largest.path)}`);
        const t = await coapTransfer(ctx, host, port, { method: "GET", path: pathSegments(largest.path) }, measure);
        if (t.exchanges[0]!.responseBytes > 0) measured.push(measurement(`GET ${shown(largest.path)}`, t));
      }
    } catch (err) {
      if (err instanceof TransportError && err.kind !== "aborted") return { verdict: "inconclusive", summary: `CoAP at ${where}: ${err.message}` };
      throw err;
    }
    if (measured.length === 0) return { verdict: "inconclusive", summary: `nothing came back from ${where}: no amplification measured` };

    const { threshold, high, source } = thresholds(ctx);
    const target = { transport: "coap" as const, address: host, port, service: "coap" };
    const findings: FindingInput[] = [];
    for (const m of measured) {
      const factor = factorOf(m.first);
      if (factor <= threshold) continue;
      const atLeast = m.first.truncated ? "at least " : "";
      findings.push({
        severity: factor >= high ? "high" : "medium",
        title: `${where}: ${m.what} of ${m.first.requestBytes} bytes draws ${atLeast}${m.first.responseBytes} bytes (${atLeast}${printedFactor(m.first)}x, above ${threshold}x)`,
        target,
        evidence: { request: m.what, requestBytes: m.first.requestBytes, responseBytes: m.first.responseBytes, factor: Number(printedFactor(m.first)), threshold, thresholdFrom: source },
      });
    }
    const line = (m: Measurement) =>
      `${m.what}: ${m.first.requestBytes} → ${m.first.responseBytes} bytes (${printedFactor(m.first)}x)` +
      (m.blocks > 1 ? `, whole transfer ${m.blocks} blocks ${m.requestBytes} → ${m.responseBytes} bytes${m.complete ? "" : " (cut short)"}` : "");
    const evidence = {
      threshold,
      thresholdFrom: source,
      measurements: measured.map((m) => ({
        request: m.what, requestBytes: m.first.requestBytes, responseBytes: m.first.responseBytes, factor: Number(printedFactor(m.first)),
        blocks: m.blocks, transferRequestBytes: m.requestBytes, transferResponseBytes: m.responseBytes,
      })),
    };
    const summary = `${measured.map(line).join("; ")}; threshold ${threshold}x`;
    return findings.length ? { verdict: "fail", summary, findings, evidence } : { verdict: "pass", summary, evidence };
  },
};
