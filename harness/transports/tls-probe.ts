// TLS and SSL probes for assessing a service's protocol versions, cipher suites and certificate.
// Every probe is one connection through connectTcp (scoped, paced, bounded). Node's TLS client runs
// over that connection for real handshakes; the protocols and suites Node cannot offer (SSLv2,
// SSLv3, RC4, DES, EXPORT) get a hand-built hello, and only the server's first answer is read.
import { randomBytes } from "node:crypto";
import { Duplex } from "node:stream";
import { connect as tlsConnect, type DetailedPeerCertificate } from "node:tls";
import { TransportError, toTransportError } from "../core/errors.js";
import { connectTcp, escapeBytes, type Link, type TcpConnection } from "./tcp.js";

export type TlsVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/**
 * Why a probe saw no acceptance: the connection could not be made or used (`no-connection`), the
 * server answered with an alert or something that is not a ServerHello (`rejected`), it closed or
 * reset (`closed`), or it said nothing in time (`timeout`).
 */
export interface ProbeFailure {
  ok: false;
  reason: "no-connection" | "rejected" | "closed" | "timeout";
  detail: string;
}

export interface HandshakeOptions {
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** OpenSSL cipher string; the default offers everything, at security level 0. */
  ciphers?: string;
  /** SNI; only for host names (RFC 6066 forbids IP literals). */
  servername?: string;
  timeoutMs: number;
}

export type HandshakeResult =
  | { ok: true; protocol: string; cipher: string; /** DER certificates, the server's first. */ chain: Buffer[] }
  | ProbeFailure;

export type HelloResult = { ok: true; version: number; cipherSuite: number } | ProbeFailure;

export type Ssl2Result = { ok: true; cipherSpecs: number } | ProbeFailure;

/**
 * An observer must be able to offer what the device might accept: OpenSSL 3 refuses TLS 1.0/1.1
 * (their handshake signatures use MD5/SHA-1) and small keys above security level 0.
 */
const OBSERVER_CIPHERS = "ALL:COMPLEMENTOFALL:@SECLEVEL=0";
const MAX_CHAIN = 10;

/** Connection-level failures make the probe's answer unknown; aborts and scope refusals stop the check. */
async function open(link: Link, host: string, port: number, timeoutMs: number): Promise<TcpConnection | ProbeFailure> {
  try {
    return await connectTcp(link, host, port, timeoutMs);
  } catch (err) {
    if (err instanceof TransportError && err.kind !== "aborted" && err.kind !== "out-of-scope") {
      return { ok: false, reason: "no-connection", detail: err.message };
    }
    throw err;
  }
}

/** Map an error after the connection was made; an abort still propagates. */
function failure(err: unknown, what: string): ProbeFailure {
  const e = toTransportError(err, what);
  if (e.kind === "aborted" || e.kind === "out-of-scope") throw e;
  if (e.kind === "timeout") return { ok: false, reason: "timeout", detail: e.message };
  if (e.kind === "reset" || e.kind === "closed") return { ok: false, reason: "closed", detail: e.message };
  if (e.kind === "fragile-port") return { ok: false, reason: "no-connection", detail: e.message };
  return { ok: false, reason: "rejected", detail: e.message };
}

/** The TcpConnection as a stream, so Node's TLS client speaks through the capped, paced connection. */
function asStream(conn: TcpConnection, idleMs: number): Duplex {
  let reading = false;
  const stream: Duplex = new Duplex({
    read() {
      if (reading) return;
      reading = true;
      void (async () => {
        try {
          for (;;) {
            const { data, end } = await conn.read({ maxBytes: 16 * 1024, timeoutMs: idleMs });
            if (stream.destroyed) return;
            if (data.length > 0) {
              reading = false;
              stream.push(data);
              return;
            }
            if (end === "closed") return void stream.push(null);
          }
        } catch (err) {
          stream.destroy(err as Error);
        }
      })();
    },
    write(chunk: Buffer, _encoding, done) {
      conn.write(chunk).then(() => done(), done);
    },
    destroy(err, done) {
      conn.close();
      done(err);
    },
  });
  return stream;
}

function chainOf(leaf: DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  // A self-signed certificate is its own issuer: stop at a repeat, and at a sane length.
  for (let c: DetailedPeerCertificate | undefined = leaf; c?.raw && chain.length < MAX_CHAIN; c = c.issuerCertificate) {
    if (chain.some((seen) => seen.equals(c!.raw))) break;
    chain.push(c.raw);
  }
  return chain;
}

/** A complete handshake limited to the given versions; the certificate is collected, not judged. */
export async function tlsHandshake(link: Link, host: string, port: number, opts: HandshakeOptions): Promise<HandshakeResult> {
  const conn = await open(link, host, port, opts.timeoutMs);
  if ("ok" in conn) return conn;
  const what = `${host}:${port} ${opts.maxVersion}`;
  const socket = tlsConnect({
    socket: asStream(conn, opts.timeoutMs),
    rejectUnauthorized: false,
    minVersion: opts.minVersion,
    maxVersion: opts.maxVersion,
    ciphers: opts.ciphers ?? OBSERVER_CIPHERS,
    ...(opts.servername ? { servername: opts.servername } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        link.signal.removeEventListener("abort", onAbort);
        outcome();
      };
      const timer = setTimeout(() => settle(() => reject(new TransportError("timeout", `${what}: no handshake within ${opts.timeoutMs} ms`))), opts.timeoutMs);
      const onAbort = () => settle(() => reject(new TransportError("aborted", `${what}: aborted`)));
      if (link.signal.aborted) return onAbort();
      link.signal.addEventListener("abort", onAbort, { once: true });
      socket.once("secureConnect", () => settle(resolve));
      socket.on("error", (err) => settle(() => reject(err)));
      socket.once("close", () => settle(() => reject(new TransportError("closed", `${what}: closed during the handshake`))));
    });
    const cipher = socket.getCipher();
    return {
      ok: true,
      protocol: socket.getProtocol() ?? opts.maxVersion,
      cipher: cipher.standardName ?? cipher.name,
      chain: chainOf(socket.getPeerCertificate(true)),
    };
  } catch (err) {
    return failure(err, what);
  } finally {
    socket.destroy();
    conn.close();
  }
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const vector16 = (body: Buffer) => Buffer.concat([u16(body.length), body]);
const list16 = (items: number[]) => vector16(Buffer.concat(items.map(u16)));
const extension = (type: number, body: Buffer) => Buffer.concat([u16(type), vector16(body)]);

/** x25519, secp256r1, secp384r1, secp521r1. */
const GROUPS = [0x001d, 0x0017, 0x0018, 0x0019];
/** ECDSA, RSA-PSS, RSA PKCS#1 with SHA-2 first, then SHA-1 and Ed25519: old devices sign with SHA-1. */
const SIGNATURE_ALGORITHMS = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0807, 0x0203, 0x0201, 0x0402, 0x0202];
/** Tells the server we support secure renegotiation (RFC 5746), as every real client does. */
const RENEGOTIATION_SCSV = 0x00ff;

/**
 * A ClientHello record (RFC 5246 7.4.1.2; RFC 6101 5.6.1.2 for SSLv3). SSLv3 carries no
 * extensions; TLS hellos carry the ones servers need to pick an ECDHE or ECDSA suite.
 */
export function clientHello(opts: { version: number; cipherSuites: number[]; servername?: string }): Buffer {
  const ssl3 = opts.version === 0x0300;
  const extensions = ssl3 ? [] : [
    ...(opts.servername ? [extension(0x0000, vector16(Buffer.concat([Buffer.from([0]), vector16(Buffer.from(opts.servername, "ascii"))])))] : []),
    extension(0x000a, list16(GROUPS)),
    extension(0x000b, Buffer.from([1, 0])),
    extension(0x000d, list16(SIGNATURE_ALGORITHMS)),
  ];
  const body = Buffer.concat([
    u16(opts.version),
    randomBytes(32),
    Buffer.from([0]),
    list16(ssl3 ? opts.cipherSuites : [...opts.cipherSuites, RENEGOTIATION_SCSV]),
    Buffer.from([1, 0]),
    ...(ssl3 ? [] : [vector16(Buffer.concat(extensions))]),
  ]);
  const handshake = Buffer.concat([Buffer.from([1]), u24(body.length), body]);
  // Old stacks drop records whose version is above TLS 1.0, so TLS hellos say 0x0301 there.
  return Buffer.concat([Buffer.from([22]), u16(ssl3 ? 0x0300 : 0x0301), u16(handshake.length), handshake]);
}

/** Bytes of a ServerHello up to its compression method: type, length, version, random, session id, suite. */
const SERVER_HELLO_PREFIX = 4 + 2 + 32 + 1 + 32 + 2 + 1;

/** Enough of the first record to tell a ServerHello (or an alert) from anything else. */
function firstRecord(b: Buffer): boolean {
  if (b.length < 5) return false;
  if (b[0]! < 20 || b[0]! > 23) return true;
  return b.length >= 5 + Math.min(b.readUInt16BE(3), SERVER_HELLO_PREFIX);
}

function parseServerHello(b: Buffer, what: string): HelloResult {
  if (b.length >= 7 && b[0] === 21) return { ok: false, reason: "rejected", detail: `${what}: alert ${b[6]}` };
  if (b.length >= 5 + 4 + 2 + 32 + 1 && b[0] === 22 && b[5] === 2) {
    const sessionIdLength = b[5 + 4 + 2 + 32]!;
    const at = 5 + 4 + 2 + 32 + 1 + sessionIdLength;
    if (sessionIdLength <= 32 && b.length >= at + 2) {
      return { ok: true, version: b.readUInt16BE(5 + 4), cipherSuite: b.readUInt16BE(at) };
    }
  }
  return { ok: false, reason: "rejected", detail: `${what}: answered ${escapeBytes(b, 32)}, not a ServerHello` };
}

/** Send `hello`, read the first answer within the limits, and let `parse` judge it. */
async function exchange<T extends { ok: boolean }>(
  link: Link, host: string, port: number, hello: Buffer, timeoutMs: number,
  enough: (b: Buffer) => boolean, maxBytes: number, parse: (b: Buffer, what: string) => T | ProbeFailure,
): Promise<T | ProbeFailure> {
  const conn = await open(link, host, port, timeoutMs);
  if ("ok" in conn) return conn;
  const what = `${host}:${port}`;
  try {
    await conn.write(hello);
    const { data, end } = await conn.readUntil(enough, { maxBytes, timeoutMs });
    if (data.length === 0) {
      return end === "timeout"
        ? { ok: false, reason: "timeout", detail: `${what}: no answer within ${timeoutMs} ms` }
        : { ok: false, reason: "closed", detail: `${what}: closed without answering` };
    }
    return parse(data, what);
  } catch (err) {
    return failure(err, what);
  } finally {
    conn.close();
  }
}

/** Offer the given suites at a TLS or SSL version and report the ServerHello's version and choice. */
export function helloProbe(
  link: Link, host: string, port: number,
  opts: { version: number; cipherSuites: number[]; servername?: string; timeoutMs: number },
): Promise<HelloResult> {
  return exchange(link, host, port, clientHello(opts), opts.timeoutMs, firstRecord, 5 + SERVER_HELLO_PREFIX, parseServerHello);
}

/** RSA and DHE suites an SSLv3 server would choose from, strong to weak. */
const SSL3_SUITES = [0x0035, 0x002f, 0x0039, 0x0033, 0x000a, 0x0016, 0x0013, 0x0005, 0x0004, 0x0009, 0x0015, 0x0012, 0x0003, 0x0008, 0x0014, 0x0006, 0x0002, 0x0001];

/** SSLv3 is accepted only when the ServerHello says 0x0300; a higher version is not an SSLv3 session. */
export async function sslv3Probe(link: Link, host: string, port: number, opts: { timeoutMs: number }): Promise<HelloResult> {
  const answer = await helloProbe(link, host, port, { version: 0x0300, cipherSuites: SSL3_SUITES, timeoutMs: opts.timeoutMs });
  if (answer.ok && answer.version !== 0x0300) {
    return { ok: false, reason: "rejected", detail: `${host}:${port}: answered an SSLv3 hello with version 0x${answer.version.toString(16)}` };
  }
  return answer;
}

/** SSLv2 cipher kinds (3 bytes each): RC4, RC2, IDEA, DES and 3DES, export variants included. */
const SSL2_CIPHER_KINDS = [0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700c0];

/** An SSLv2 CLIENT-HELLO in the 2-byte header format (the SSL 2.0 draft, section 2.6). */
export function sslv2ClientHello(): Buffer {
  const specs = Buffer.concat(SSL2_CIPHER_KINDS.map(u24));
  const challenge = randomBytes(16);
  const body = Buffer.concat([Buffer.from([1]), u16(0x0002), u16(specs.length), u16(0), u16(challenge.length), specs, challenge]);
  return Buffer.concat([u16(0x8000 | body.length), body]);
}

/** SERVER-HELLO up to its lengths: header 2, type 1, session-id-hit 1, cert type 1, version 2, three lengths. */
const SSL2_SERVER_HELLO_PREFIX = 2 + 1 + 1 + 1 + 2 + 2 + 2 + 2;

function parseSsl2ServerHello(b: Buffer, what: string): Ssl2Result {
  if (b.length >= SSL2_SERVER_HELLO_PREFIX && (b[0]! & 0x80) !== 0 && b[2] === 4 && b.readUInt16BE(5) === 0x0002) {
    // A server with SSLv2 switched on but no SSLv2 cipher left answers with none: no session is possible.
    const cipherSpecs = b.readUInt16BE(9) / 3;
    return cipherSpecs > 0 ? { ok: true, cipherSpecs } : { ok: false, reason: "rejected", detail: `${what}: SSLv2 SERVER-HELLO with no cipher` };
  }
  if (b.length >= 7 && b[0] === 21) return { ok: false, reason: "rejected", detail: `${what}: alert ${b[6]}` };
  return { ok: false, reason: "rejected", detail: `${what}: answered ${escapeBytes(b, 32)}, not an SSLv2 SERVER-HELLO` };
}

/** Whether the server opens an SSLv2 session: a SERVER-HELLO with version 2 and at least one cipher. */
export function sslv2Probe(link: Link, host: string, port: number, opts: { timeoutMs: number }): Promise<Ssl2Result> {
  const enough = (b: Buffer) => b.length >= SSL2_SERVER_HELLO_PREFIX || (b.length >= 7 && (b[0]! & 0x80) === 0);
  return exchange(link, host, port, sslv2ClientHello(), opts.timeoutMs, enough, SSL2_SERVER_HELLO_PREFIX, parseSsl2ServerHello);
}
