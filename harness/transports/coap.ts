// CoAP over UDP (RFC 7252): one request, its response, block by block (RFC 7959) when the body is
// bigger than one datagram. Packets are coded by coap-packet, the codec of the `coap` package, and
// travel through udpExchange, so scope, pace, the probe ledger and the byte caps all apply and the
// bytes counted are the bytes on the wire. The `coap` package's own Agent is not used: it
// retransmits and follows Block2 on its own, without a limit and without saying what it sent.
import { randomBytes } from "node:crypto";
import { generate, parse, type ParsedPacket } from "coap-packet";
import { TransportError } from "../core/errors.js";
import type { Link } from "./tcp.js";
import { udpExchange } from "./udp.js";

export type CoapMethod = "GET" | "PUT" | "POST" | "DELETE";

export interface CoapRequest {
  method: CoapMethod;
  /** Uri-Path segments, already decoded ("/a/b" is ["a", "b"]). */
  path: string[];
  query?: string[];
  payload?: Buffer;
  /** Ask for this block of the body (RFC 7959 §2.2). */
  block2?: { num: number; szx: number };
}

export interface Block {
  num: number;
  more: boolean;
  /** Block size exponent: the block holds 2^(szx+4) bytes. */
  szx: number;
}

export interface CoapResponse {
  /** "2.05", "4.01", … */
  code: string;
  payload: Buffer;
  block2?: Block;
  contentFormat?: number;
}

export interface CoapExchange {
  /** Bytes of the request datagram, and of every datagram the endpoint sent back (UDP payload). */
  requestBytes: number;
  responseBytes: number;
  datagrams: number;
  /** A byte or datagram cap stopped the collection. */
  truncated: boolean;
  /** The response to our token, when one came and parsed. */
  response?: CoapResponse;
  /** Datagrams that were not CoAP at all. */
  malformed: number;
}

export interface CoapLimits {
  timeoutMs: number;
  /** Bytes of answer collected for one request; a UDP datagram holds at most 65507. */
  maxBytes: number;
  /**
   * Wait out the whole time and count every datagram (duplicates, separate responses): what an
   * amplification measurement needs. Otherwise the exchange ends at the response.
   */
  collectAll?: boolean;
}

const MAX_DATAGRAMS = 16;

/** A CoAP uint option value (RFC 7252 §3.2): big-endian, no leading zero bytes. */
export function encodeUint(n: number): Buffer {
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return Buffer.from(out);
}

export function decodeUint(b: Buffer): number {
  let n = 0;
  for (const byte of b.subarray(0, 4)) n = n * 256 + byte;
  return n;
}

export function decodeBlock(value: Buffer): Block {
  const v = decodeUint(value);
  return { num: Math.floor(v / 16), more: (v & 0x08) !== 0, szx: v & 0x07 };
}

export function requestPacket(req: CoapRequest, token: Buffer, messageId: number): Buffer {
  const options = [
    ...req.path.map((segment) => ({ name: "Uri-Path" as const, value: Buffer.from(segment, "utf8") })),
    ...(req.query ?? []).map((q) => ({ name: "Uri-Query" as const, value: Buffer.from(q, "utf8") })),
    ...(req.block2 ? [{ name: "Block2" as const, value: encodeUint(req.block2.num * 16 + req.block2.szx) }] : []),
  ];
  return generate({ code: req.method, confirmable: true, token, messageId, options, ...(req.payload ? { payload: req.payload } : {}) });
}

function tryParse(datagram: Buffer): ParsedPacket | undefined {
  try {
    return parse(datagram);
  } catch {
    return undefined;
  }
}

/** A response carries a code of class 2 to 5; "0.00" is an empty ACK or RST. */
const isResponse = (p: ParsedPacket, token: Buffer) => p.token.equals(token) && /^[2-5]\./.test(p.code);

function toResponse(p: ParsedPacket): CoapResponse {
  const block = p.options.find((o) => o.name === "Block2");
  const format = p.options.find((o) => o.name === "Content-Format");
  return {
    code: p.code,
    payload: p.payload,
    ...(block ? { block2: decodeBlock(block.value) } : {}),
    ...(format ? { contentFormat: decodeUint(format.value) } : {}),
  };
}

/**
 * Send one Confirmable request to host:port and read the answer. Silence is no error: the
 * exchange comes back without a response. Throws TransportError as udpExchange does (scope,
 * fragile port, refused, aborted).
 */
export async function coapRequest(link: Link, host: string, port: number, req: CoapRequest, limits: CoapLimits): Promise<CoapExchange> {
  const token = randomBytes(4);
  const packet = requestPacket(req, token, randomBytes(2).readUInt16BE());
  const answer = await udpExchange(link, host, port, packet, {
    timeoutMs: limits.timeoutMs,
    maxBytes: limits.maxBytes,
    maxDatagrams: MAX_DATAGRAMS,
    ...(limits.collectAll ? {} : { complete: (datagrams: Buffer[]) => datagrams.some((d) => { const p = tryParse(d); return !!p && isResponse(p, token); }) }),
  });
  let malformed = 0;
  let response: CoapResponse | undefined;
  for (const d of answer.datagrams) {
    const p = tryParse(d);
    if (!p) malformed++;
    else if (!response && isResponse(p, token)) response = toResponse(p);
  }
  return { requestBytes: packet.length, responseBytes: answer.bytes, datagrams: answer.datagrams.length, truncated: answer.truncated, malformed, ...(response ? { response } : {}) };
}

export interface CoapTransfer {
  /** Every request of the transfer, in order. */
  exchanges: CoapExchange[];
  /** The code of the last response, absent when nothing answered. */
  code?: string;
  body: Buffer;
  /** The last block came (or the body fit in one response). */
  complete: boolean;
  /** Stopped by a limit: more blocks were on offer. */
  truncated: boolean;
}

export interface TransferLimits extends CoapLimits {
  maxBodyBytes: number;
  maxBlocks: number;
}

/**
 * One request, then Block2 follow-ups while the endpoint says more blocks follow (RFC 7959 §2.4),
 * within maxBlocks and maxBodyBytes. A block out of order ends the transfer incomplete.
 */
export async function coapTransfer(link: Link, host: string, port: number, req: CoapRequest, limits: TransferLimits): Promise<CoapTransfer> {
  const exchanges: CoapExchange[] = [];
  const parts: Buffer[] = [];
  let size = 0;
  let next: CoapRequest = req;
  for (;;) {
    const ex = await coapRequest(link, host, port, next, limits);
    exchanges.push(ex);
    const r = ex.response;
    if (!r) return { exchanges, body: Buffer.concat(parts), complete: false, truncated: false };
    const block = r.block2;
    const expected = next.block2?.num ?? 0;
    if (block && block.num !== expected) return { exchanges, code: r.code, body: Buffer.concat(parts), complete: false, truncated: false };
    const room = limits.maxBodyBytes - size;
    parts.push(r.payload.subarray(0, Math.max(0, room)));
    size += r.payload.length;
    if (!block?.more || !r.code.startsWith("2.")) return { exchanges, code: r.code, body: Buffer.concat(parts), complete: true, truncated: false };
    if (size >= limits.maxBodyBytes || exchanges.length >= limits.maxBlocks) {
      return { exchanges, code: r.code, body: Buffer.concat(parts), complete: false, truncated: true };
    }
    next = { ...req, block2: { num: block.num + 1, szx: block.szx } };
  }
}

/** Split a link target's path ("/a/b%20c") into decoded Uri-Path segments. */
export function pathSegments(path: string): string[] {
  const trimmed = path.replace(/^\/+/, "");
  if (!trimmed) return [];
  return trimmed.split("/").map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new TransportError("protocol", `not a usable CoAP path: ${path.slice(0, 64)}`);
    }
  });
}
