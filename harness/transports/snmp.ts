// SNMP v1, v2c and v3 requests, built and read by net-snmp (BER, the USM's keys, digests and
// encryption, the v3 engine discovery). net-snmp takes a `dgramModule`; the one given here sends
// each of its datagrams with udpExchange, so the scope guard, fragile ports, the pace, the probe
// ledger and the bounds on every answer (bytes, time) apply as to every other UDP probe, and net-snmp
// itself never opens a socket nor retries. An answer that is no SNMP message, or is past the size
// limit, is a protocol error; a wrong community is silence.
import type { EventEmitter } from "node:events";
import { EventEmitter as Emitter } from "node:events";
import { isIPv6 } from "node:net";
import snmp, { type Session, type Varbind } from "net-snmp";
import { TransportError } from "../core/errors.js";
import type { Link } from "./tcp.js";
import { udpExchange } from "./udp.js";

export const SYS_DESCR = "1.3.6.1.2.1.1.1.0";
export const SYS_CONTACT = "1.3.6.1.2.1.1.4.0";

/** An agent's answer to a GET of one object is a few hundred bytes; anything this big is not one. */
export const SNMP_ANSWER_BYTES = 4096;
/**
 * net-snmp starts its own timer when a request has been sent, which here is when the answer is
 * already in (udpExchange waited for it), and reads that answer at once. The timer only fires
 * when the answer matched no request (a wrong request id): a short grace, not a wait.
 */
const UNMATCHED_GRACE_MS = 100;

export type AuthProtocol = "md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512";
export type PrivProtocol = "des" | "aes" | "aes256b" | "aes256r";

/** An SNMPv3 (USM) user; the level follows from which keys it has. */
export interface UsmUser {
  name: string;
  auth?: { protocol: AuthProtocol; key: string };
  priv?: { protocol: PrivProtocol; key: string };
}

export type SnmpCredential = { version: "1" | "2c"; community: string } | { version: "3"; user: UsmUser };

export type SnmpOperation = { pdu: "get"; oid: string } | { pdu: "set"; varbind: Varbind };

export type SnmpResult =
  /** A response with error-status 0. */
  | { kind: "response"; varbinds: Varbind[]; engineId?: string }
  /** A response with an error-status (a refused SET: notWritable, noAccess, readOnly …). */
  | { kind: "error-status"; status: string; engineId?: string }
  /** An SNMPv3 Report of the USM: "Unknown User Name", "Wrong Digest", "Unsupported Security Level" … */
  | { kind: "report"; report: string; engineId?: string }
  /** No answer in time: a wrong community, a v3 request the agent dropped, or an agent that is gone. */
  | { kind: "silence"; engineId?: string };

export interface SnmpTarget {
  link: Link;
  host: string;
  port: number;
  timeoutMs: number;
}

const silence = new Error("no answer");

/**
 * A stand-in for a dgram socket: each `send` is one udpExchange; its answer is handed to
 * net-snmp as the "message" event, after `send`'s callback has registered the request.
 */
class GuardedSocket extends Emitter {
  /** Why the last answer could not be used, when net-snmp could not read it. */
  failure?: TransportError;

  constructor(private readonly t: SnmpTarget) {
    super();
  }

  send(buffer: Buffer, offset: number, length: number, port: number, _address: string, sent: (err: Error | null) => void): void {
    const { link, host, timeoutMs } = this.t;
    const what = `${host}:${port}/udp`;
    udpExchange(link, host, port, buffer.subarray(offset, offset + length), { timeoutMs, maxBytes: SNMP_ANSWER_BYTES, maxDatagrams: 1 }).then((answer) => {
      const datagram = answer.datagrams[0];
      if (!datagram) return sent(silence);
      if (answer.bytes >= SNMP_ANSWER_BYTES) return sent(new TransportError("protocol", `${what} answered with a datagram of at least ${SNMP_ANSWER_BYTES} bytes: no SNMP answer to one GET is that big`));
      sent(null);
      try {
        this.emit("message", datagram, { address: host, family: isIPv6(host) ? "IPv6" : "IPv4", port, size: datagram.length });
      } catch (err) {
        this.failure = new TransportError("protocol", `${what} answered with an SNMP message net-snmp could not handle: ${(err as Error).message}`);
        this.emit("unreadable");
      }
    }, (err: unknown) => sent(err as Error));
  }

  close(): void {
    this.emit("close");
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

function sessionFor(t: SnmpTarget, credential: SnmpCredential): { session: Session; socket: GuardedSocket } {
  let socket: GuardedSocket | undefined;
  const options = {
    port: t.port,
    retries: 0,
    timeout: UNMATCHED_GRACE_MS,
    transport: isIPv6(t.host) ? ("udp6" as const) : ("udp4" as const),
    dgramModule: { createSocket: (): EventEmitter => (socket = new GuardedSocket(t)) },
  };
  if (credential.version !== "3") {
    const version = credential.version === "1" ? snmp.Version1 : snmp.Version2c;
    return { session: snmp.createSession(t.host, credential.community, { ...options, version }), socket: socket! };
  }
  const { name, auth, priv } = credential.user;
  const level = priv ? "authPriv" : auth ? "authNoPriv" : "noAuthNoPriv";
  const user = {
    name,
    level: snmp.SecurityLevel[level],
    ...(auth ? { authProtocol: snmp.AuthProtocols[auth.protocol], authKey: auth.key } : {}),
    ...(priv ? { privProtocol: snmp.PrivProtocols[priv.protocol], privKey: priv.key } : {}),
  };
  return { session: snmp.createV3Session(t.host, user, options), socket: socket! };
}

/** What net-snmp's callback error means. */
function resultOf(err: Error, what: string): SnmpResult {
  if (err === silence) return { kind: "silence" };
  if (err instanceof TransportError) throw err;
  if (err instanceof snmp.RequestFailedError) return { kind: "error-status", status: snmp.ErrorStatus[err.status] ?? String(err.status) };
  if (err instanceof snmp.ResponseInvalidError && err.code === snmp.ResponseInvalidCode.EAuthFailure) return { kind: "report", report: err.message };
  if (err instanceof snmp.RequestTimedOutError) throw new TransportError("protocol", `${what} answered with an SNMP message that answers no request of ours`);
  throw new TransportError("protocol", `${what} answered with an SNMP message that cannot be used: ${(err as Error).message}`);
}

/**
 * One request, and for SNMPv3 the engine discovery before it (one more exchange). Throws
 * TransportError: out-of-scope, fragile-port, aborted, refused (ICMP port unreachable), or
 * protocol when the answer is not a usable SNMP message (malformed, oversized, not ours).
 */
export function snmpRequest(t: SnmpTarget, credential: SnmpCredential, op: SnmpOperation): Promise<SnmpResult> {
  const what = `${t.host}:${t.port}/udp`;
  const { session, socket } = sessionFor(t, credential);
  return new Promise<SnmpResult>((resolve, reject) => {
    let settled = false;
    const engineId = () => session.msgSecurityParameters?.msgAuthoritativeEngineID?.toString("hex") || undefined;
    const settle = (err: Error | null, varbinds?: Varbind[]) => {
      if (settled) return;
      settled = true;
      const id = engineId();
      try {
        const result: SnmpResult = err ? resultOf(err, what) : { kind: "response", varbinds: varbinds ?? [] };
        resolve(id ? { ...result, engineId: id } : result);
      } catch (failure) {
        reject(failure);
      }
    };
    // net-snmp reports an answer it cannot parse as the session's "error" event, not to the request
    session.on("error", (err: Error) => settle(new TransportError("protocol", `${what} answered with a malformed SNMP message: ${err.message}`)));
    socket.on("unreadable", () => settle(socket.failure!));
    if (op.pdu === "get") session.get([op.oid], settle);
    else session.set([op.varbind], settle);
  }).finally(() => session.close());
}

/** An OCTET STRING value as printable text for a report (bounded). */
export function valueText(v: Varbind | undefined, max = 120): string {
  if (!v) return "";
  if (!Buffer.isBuffer(v.value)) return `[type ${v.type}]`;
  return v.value.subarray(0, max).toString("latin1").replace(/[^\x20-\x7e]/g, "?");
}

export const isOctetString = (v: Varbind | undefined): v is Varbind & { value: Buffer } => v?.type === snmp.ObjectType.OctetString && Buffer.isBuffer(v.value);
export const isVarbindError = (v: Varbind) => snmp.isVarbindError(v);
