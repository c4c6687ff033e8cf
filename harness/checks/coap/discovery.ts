// coap.discovery: what a CoAP endpoint tells anyone about itself at /.well-known/core (RFC 6690).
import { TransportError } from "../../core/errors.js";
import type { Check, FindingInput, Outcome } from "../../core/types.js";
import { coapTransfer, type CoapTransfer } from "../../transports/coap.js";
import { coapEndpoint, localPath, plannedEndpoint, sensitiveResource, shown } from "./endpoint.js";
import { MAX_INPUT, parseLinkFormat } from "./link-format.js";

const WELL_KNOWN = [".well-known", "core"];
/** RFC 6690 §7.1: application/link-format. */
const LINK_FORMAT = 40;
const MAX_BLOCKS = 32;
const SHOWN = 40;

export const discovery: Check = {
  id: "coap.discovery",
  title: "CoAP resource discovery",
  description:
    "Asks the CoAP endpoint (the descriptor's coap:// URL, else the CoAP service the UDP scan found) for " +
    "/.well-known/core, block by block, and reads its RFC 6690 link format with a bounded, tolerant parser. " +
    "Publishes the resources for the other CoAP checks. Fails when the list shows anyone a firmware update, " +
    "credential, configuration or maintenance resource (harness/data/coap-sensitive-resources.yaml).",
  effect: "observe",
  needs: ["coap"],
  consumes: ["udp.services"],
  produces: ["coap.resources"],

  plan(device) {
    const { host, port } = plannedEndpoint(device);
    return [{ address: host, port, protocol: "coap GET /.well-known/core", count: `1 to ${MAX_BLOCKS} (block-wise)` }];
  },

  async run(ctx): Promise<Outcome> {
    const endpoint = coapEndpoint(ctx);
    if ("none" in endpoint) return { verdict: "not-applicable", summary: endpoint.none };
    const { host, port } = endpoint;
    const where = `${host}:${port}/udp`;
    let transfer: CoapTransfer;
    try {
      transfer = await coapTransfer(ctx, host, port, { method: "GET", path: WELL_KNOWN }, {
        timeoutMs: ctx.pace.settings.connectTimeoutMs * 2,
        maxBytes: 64 * 1024,
        maxBodyBytes: MAX_INPUT,
        maxBlocks: MAX_BLOCKS,
      });
    } catch (err) {
      if (err instanceof TransportError && err.kind !== "aborted") return { verdict: "inconclusive", summary: `CoAP at ${where}: ${err.message}` };
      throw err;
    }
    const malformed = transfer.exchanges.reduce((n, e) => n + e.malformed, 0);
    if (!transfer.code) {
      return { verdict: "inconclusive", summary: `no CoAP response from ${where} to GET /.well-known/core${malformed ? ` (${malformed} datagrams that were not CoAP)` : ""}` };
    }
    if (!transfer.code.startsWith("2.")) {
      ctx.facts.set("coap.resources", { address: host, port, resources: [] });
      return { verdict: "pass", summary: `${where} answers GET /.well-known/core with ${transfer.code}: it lists no resources to anyone`, evidence: { code: transfer.code } };
    }
    const format = transfer.exchanges.at(-1)?.response?.contentFormat;
    const parsed = parseLinkFormat(transfer.body);
    const resources = parsed.links;
    ctx.facts.set("coap.resources", { address: host, port, resources });

    const target = { transport: "coap" as const, address: host, port, service: "coap" };
    const findings: FindingInput[] = [];
    for (const r of resources) {
      const kind = sensitiveResource(r);
      if (!kind || localPath(r.target, host) === undefined) continue;
      findings.push({ severity: "medium", title: `${where} lists ${kind.title} to anyone: ${shown(r.target)}`, target, evidence: { resource: shown(r.target), params: r.params, kind: kind.id } });
    }
    const notes = [
      ...(transfer.truncated || parsed.truncated ? ["the list was longer than read"] : []),
      ...(!transfer.complete && !transfer.truncated ? ["the block-wise transfer broke off"] : []),
      ...(parsed.errors.length ? [`${parsed.errors.length} syntax error${parsed.errors.length > 1 ? "s" : ""} skipped`] : []),
      ...(format !== undefined && format !== LINK_FORMAT ? [`Content-Format ${format}, not link-format`] : []),
    ];
    const evidence = {
      resources: resources.slice(0, SHOWN).map((r) => shown(r.target)),
      ...(parsed.errors.length ? { syntaxErrors: parsed.errors } : {}),
      blocks: transfer.exchanges.length,
      bytes: transfer.body.length,
    };
    const list = resources.slice(0, SHOWN).map((r) => shown(r.target)).join(", ") + (resources.length > SHOWN ? ", …" : "");
    const summary = `${where} lists ${resources.length} resource${resources.length === 1 ? "" : "s"}${resources.length ? `: ${list}` : ""}${notes.length ? ` (${notes.join("; ")})` : ""}`;
    if (findings.length) return { verdict: "fail", summary: `security-relevant resources listed to anyone; ${summary}`, findings, evidence };
    return { verdict: "pass", summary, evidence };
  },
};
