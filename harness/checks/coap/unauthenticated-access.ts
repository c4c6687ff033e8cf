// coap.unauthenticated-access: which of the resources a CoAP endpoint lists answer a client that
// has no DTLS session and no credentials — reads always, writes only in a state-changing run.
import { TransportError } from "../../core/errors.js";
import type { Check, FindingInput, Outcome } from "../../core/types.js";
import { coapRequest, coapTransfer, pathSegments, type CoapTransfer } from "../../transports/coap.js";
import { escapeBytes } from "../../transports/tcp.js";
import { coapEndpoint, localPath, plannedEndpoint, sensitiveResource, shown } from "./endpoint.js";

/** Resources asked, at most: a list longer than this is a finding already. */
const MAX_RESOURCES = 32;
const MAX_BODY = 4096;
const MAX_BLOCKS = 8;
/** Bytes of a readable resource kept as evidence (under a redactable key). */
const SAMPLE_BYTES = 128;

interface Probed {
  path: string;
  code?: string;
  transfer?: CoapTransfer;
  /** The code a PUT of the resource's own value drew, when one was sent. */
  put?: string;
}

const readable = (code?: string) => !!code?.startsWith("2.");

export const unauthenticatedAccess: Check = {
  id: "coap.unauthenticated-access",
  title: "CoAP resources without authentication",
  description:
    "GETs every resource that /.well-known/core lists (up to 32), without DTLS or any credential, and fails on each " +
    "that answers with content. With --state-changing it also PUTs back to each readable resource the value it " +
    "just read, and fails when the endpoint takes it; without the flag writes are reported as not tested. " +
    "POST and DELETE are never sent: neither can be undone.",
  effect: "intrusive",
  needs: ["coap"],
  consumes: ["coap.resources", "udp.services"],

  plan(device) {
    const { host, port } = plannedEndpoint(device);
    return [
      { address: host, port, protocol: "coap GET", count: `each listed resource, up to ${MAX_RESOURCES}` },
      { address: host, port, protocol: "coap PUT (its own value)", count: "each readable resource", note: "only with --state-changing" },
    ];
  },

  async run(ctx): Promise<Outcome> {
    const endpoint = coapEndpoint(ctx);
    if ("none" in endpoint) return { verdict: "not-applicable", summary: endpoint.none };
    const { host, port } = endpoint;
    const where = `${host}:${port}/udp`;
    const listed = ctx.facts.get("coap.resources");
    if (!listed) return { verdict: "inconclusive", summary: `the resources of ${where} are unknown: coap.discovery did not list them` };
    const paths = [...new Set(listed.resources.map((r) => localPath(r.target, host)).filter((p): p is string => !!p && p !== "/.well-known/core"))];
    if (paths.length === 0) return { verdict: "inconclusive", summary: `${where} lists no resource of its own to try` };
    const asked = paths.slice(0, MAX_RESOURCES);
    const limits = { timeoutMs: ctx.pace.settings.connectTimeoutMs * 2, maxBytes: 64 * 1024, maxBodyBytes: MAX_BODY, maxBlocks: MAX_BLOCKS };

    const probed: Probed[] = [];
    try {
      for (const path of asked) {
        ctx.progress(`GET ${shown(path)}`);
        const transfer = await coapTransfer(ctx, host, port, { method: "GET", path: pathSegments(path) }, limits);
        const p: Probed = { path, transfer, ...(transfer.code ? { code: transfer.code } : {}) };
        if (ctx.options.stateChanging && readable(transfer.code) && transfer.complete) {
          ctx.progress(`PUT ${shown(path)}`);
          const put = await coapRequest(ctx, host, port, { method: "PUT", path: pathSegments(path), payload: transfer.body }, limits);
          if (put.response) p.put = put.response.code;
        }
        probed.push(p);
      }
    } catch (err) {
      if (err instanceof TransportError && err.kind !== "aborted") {
        return { verdict: "inconclusive", summary: `CoAP at ${where} after ${probed.length} of ${asked.length} resources: ${err.message}` };
      }
      throw err;
    }

    const target = { transport: "coap" as const, address: host, port, service: "coap" };
    const findings: FindingInput[] = [];
    for (const p of probed) {
      const kind = sensitiveResource({ target: p.path, params: listed.resources.find((r) => localPath(r.target, host) === p.path)?.params ?? {} });
      if (readable(p.code)) {
        const body = p.transfer!.body;
        findings.push({
          severity: kind ? "high" : "medium",
          title: `${where}: GET ${shown(p.path)} answers ${p.code} without authentication${kind ? ` (${kind.title})` : ""}`,
          target,
          evidence: { resource: shown(p.path), code: p.code, bytes: body.length, ...(body.length ? { sampledPayload: escapeBytes(body, SAMPLE_BYTES) } : {}) },
        });
      }
      if (p.put === "2.04" || p.put === "2.01") {
        findings.push({
          severity: "high",
          title: `${where}: PUT ${shown(p.path)} is accepted without authentication (${p.put})`,
          target,
          evidence: { resource: shown(p.path), method: "PUT", code: p.put },
        });
      }
    }
    const open = probed.filter((p) => readable(p.code));
    const silent = probed.filter((p) => !p.code).length;
    const writes = ctx.options.stateChanging
      ? `PUT of its own value sent to ${probed.filter((p) => p.put !== undefined).length} readable resources`
      : "PUT, POST and DELETE not tested (run with --state-changing for PUT)";
    const codes = probed.map((p) => `${shown(p.path)} ${p.code ?? "no answer"}${p.put ? `, PUT ${p.put}` : ""}`);
    const evidence = { resources: codes, ...(paths.length > asked.length ? { notAsked: paths.length - asked.length } : {}), stateChanging: ctx.options.stateChanging };
    const summary = `${open.length} of ${probed.length} resources of ${where} answer GET without authentication; ${writes}` +
      // A separate response (RFC 7252 §5.2.2) later than this is not waited for
      (silent ? `; ${silent} did not answer within ${limits.timeoutMs / 1000} s` : "");
    if (findings.length) return { verdict: "fail", summary, findings, evidence };
    if (silent === probed.length) return { verdict: "inconclusive", summary: `no resource of ${where} answered GET`, evidence };
    return { verdict: "pass", summary, evidence };
  },
};
