// SNMP v1/v2c: one GetRequest or SetRequest for one OID, built by hand (ITU-T X.690 BER, RFC 1157,
// RFC 1901, RFC 3416) and sent with udpExchange, so the scope guard, fragile ports, the pace and
// the probe ledger apply as for every other UDP probe. (net-snmp opens its own socket outside all
// of those, and would need each re-done by hand; the two PDUs needed here are ~100 lines.)
// A wrong community is silence: undefined, never an error.
import { randomInt } from "node:crypto";
import { TransportError } from "../core/errors.js";
import type { Link } from "./tcp.js";
import { udpExchange } from "./udp.js";

export const SYS_DESCR = "1.3.6.1.2.1.1.1.0";
export const SYS_CONTACT = "1.3.6.1.2.1.1.4.0";

/** 0 = SNMPv1, 1 = SNMPv2c. */
export type SnmpVersion = 0 | 1;

export interface SnmpValue {
  /** The BER tag (0x04 OCTET STRING, 0x02 INTEGER, 0x80 noSuchObject, …). */
  tag: number;
  bytes: Buffer;
}

export interface SnmpResponse {
  version: number;
  community: string;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  oid?: string;
  value?: SnmpValue;
}

const GET = 0xa0;
const RESPONSE = 0xa2;
const SET = 0xa3;

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}

const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};

function int(n: number): Buffer {
  const out: number[] = [];
  do {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if (out[0]! & 0x80) out.unshift(0);
  return tlv(0x02, Buffer.from(out));
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const out = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const bytes = [arc & 0x7f];
    for (let a = Math.floor(arc / 128); a > 0; a = Math.floor(a / 128)) bytes.unshift((a & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

export function requestPacket(version: SnmpVersion, community: string, pdu: "get" | "set", requestId: number, name: string, value?: SnmpValue): Buffer {
  const varbind = tlv(0x30, oid(name), value ? tlv(value.tag, value.bytes) : Buffer.from([0x05, 0x00]));
  return tlv(0x30, int(version), tlv(0x04, Buffer.from(community, "latin1")),
    tlv(pdu === "get" ? GET : SET, int(requestId), int(0), int(0), tlv(0x30, varbind)));
}

/** One TLV at `at`; throws on anything running past the end. */
function read(b: Buffer, at: number): { tag: number; start: number; end: number } {
  if (at + 2 > b.length) throw new Error("truncated");
  const tag = b[at]!;
  let n = b[at + 1]!;
  let start = at + 2;
  if (n & 0x80) {
    const k = n & 0x7f;
    if (k < 1 || k > 3 || start + k > b.length) throw new Error("bad length");
    n = 0;
    for (let i = 0; i < k; i++) n = n * 256 + b[start + i]!;
    start += k;
  }
  if (start + n > b.length) throw new Error("truncated");
  return { tag, start, end: start + n };
}

function uint(b: Buffer, t: { start: number; end: number }): number {
  let n = 0;
  for (let i = t.start; i < t.end && i < t.start + 6; i++) n = n * 256 + b[i]!;
  return n;
}

function oidString(b: Buffer): string {
  if (!b.length) return "";
  const arcs = [Math.floor(b[0]! / 40), b[0]! % 40];
  let arc = 0;
  for (const byte of b.subarray(1)) {
    arc = arc * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(arc);
      arc = 0;
    }
  }
  return arcs.join(".");
}

/** Parse a GetResponse; undefined when the datagram is not one (hostile input is bounded by udpExchange). */
export function parseResponse(b: Buffer): SnmpResponse | undefined {
  try {
    const msg = read(b, 0);
    if (msg.tag !== 0x30) return undefined;
    const version = read(b, msg.start);
    const community = read(b, version.end);
    const pdu = read(b, community.end);
    if (version.tag !== 0x02 || community.tag !== 0x04 || pdu.tag !== RESPONSE) return undefined;
    const reqId = read(b, pdu.start);
    const status = read(b, reqId.end);
    const index = read(b, status.end);
    const out: SnmpResponse = {
      version: uint(b, version),
      community: b.subarray(community.start, community.end).toString("latin1"),
      requestId: uint(b, reqId),
      errorStatus: uint(b, status),
      errorIndex: uint(b, index),
    };
    const list = read(b, index.end);
    if (list.end > list.start) {
      const vb = read(b, list.start);
      const name = read(b, vb.start);
      const value = read(b, name.end);
      out.oid = oidString(b.subarray(name.start, name.end));
      out.value = { tag: value.tag, bytes: Buffer.from(b.subarray(value.start, value.end)) };
    }
    return out;
  } catch {
    return undefined;
  }
}

export interface SnmpRequest {
  version: SnmpVersion;
  community: string;
  pdu: "get" | "set";
  oid: string;
  value?: SnmpValue;
  timeoutMs: number;
}

/**
 * Send one request and wait for its response. Undefined is silence (a wrong community, or an
 * agent that is gone: the caller decides which). Throws TransportError: out-of-scope,
 * fragile-port, aborted, refused (ICMP port unreachable), or protocol when the answer is not a
 * response to this request.
 */
export async function snmpRequest(link: Link, host: string, port: number, r: SnmpRequest): Promise<SnmpResponse | undefined> {
  const requestId = randomInt(1, 0x7fffffff);
  const answer = await udpExchange(link, host, port, requestPacket(r.version, r.community, r.pdu, requestId, r.oid, r.value), {
    timeoutMs: r.timeoutMs, maxBytes: 4096, maxDatagrams: 1,
  });
  const datagram = answer.datagrams[0];
  if (!datagram) return undefined;
  const response = parseResponse(datagram);
  if (!response || response.requestId !== requestId) {
    throw new TransportError("protocol", `${host}:${port}/udp answered with something that is not a response to request ${requestId}`);
  }
  return response;
}

/** An OCTET STRING value as printable text for a report (bounded). */
export function valueText(v: SnmpValue | undefined, max = 120): string {
  if (!v) return "";
  if (v.tag !== 0x04) return `[type 0x${v.tag.toString(16)}]`;
  return v.bytes.subarray(0, max).toString("latin1").replace(/[^\x20-\x7e]/g, "?");
}
