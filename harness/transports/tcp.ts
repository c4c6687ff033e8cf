// TCP: connect through the scope guard and the pace, then read with a cap on bytes and time.
import { isIP, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from "node:tls";
import { TransportError, toTransportError } from "../core/errors.js";
import { fragileReason } from "../core/fragile.js";
import type { CheckContext } from "../core/types.js";

/** The part of the run context a transport needs. */
export type Link = Pick<CheckContext, "scope" | "pace" | "signal" | "evidence" | "options">;

export interface ReadLimits {
  maxBytes: number;
  timeoutMs: number;
}

export type ReadEnd = "match" | "timeout" | "limit" | "closed";

export interface ReadResult {
  data: Buffer;
  end: ReadEnd;
}

/** Everything any one connection may buffer from a device, whatever the reads ask for. */
const CONNECTION_CAP = 4 * 1024 * 1024;

export interface TlsInfo {
  protocol: string | null;
  cipher: string;
  certificate?: PeerCertificate;
  /** The chain verified against the trust anchors given to startTls (or Node's roots), and the certificate names the host. */
  authorized: boolean;
  authorizationError?: string;
}

export class TcpConnection {
  #buffer = Buffer.alloc(0);
  #received = 0;
  #closed = false;
  #error: TransportError | undefined;
  #wake: (() => void) | undefined;
  readonly #openedAt = performance.now();

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly socket: Duplex,
    private readonly link: Link,
    private readonly release: () => void,
    private readonly capBytes = CONNECTION_CAP,
  ) {
    socket.on("data", (chunk: Buffer) => {
      this.#received += chunk.length;
      if (this.#received > capBytes) {
        this.#error = new TransportError("too-large", `${host}:${port} sent more than ${capBytes} bytes`);
        socket.destroy();
      } else {
        this.#buffer = Buffer.concat([this.#buffer, chunk]);
      }
      this.#notify();
    });
    socket.on("error", (err) => {
      this.#error ??= toTransportError(err, `${host}:${port}`);
      this.#notify();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.release();
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the peer has sent anything on this connection. */
  get spoke(): boolean {
    return this.#received > 0;
  }

  /**
   * The error for an answer that did not come in time (`message` says which). When the peer
   * never sent a byte, it says so instead, with how long it kept silent (TransportError.silentMs).
   */
  timedOut(message: string): TransportError {
    if (this.spoke) return new TransportError("timeout", message);
    const silentMs = Math.round(performance.now() - this.#openedAt);
    return new TransportError("timeout", `port ${this.port} accepted the connection and never spoke in ${formatSeconds(silentMs)}`, { silentMs });
  }

  /**
   * Read until `done(buffer)` says the answer is complete, `maxBytes` arrived, the time ran out
   * or the peer closed. Bytes past a match stay buffered for the next read.
   */
  async readUntil(done: (data: Buffer) => number | boolean, limits: ReadLimits): Promise<ReadResult> {
    const deadline = performance.now() + limits.timeoutMs;
    for (;;) {
      const verdict = done(this.#buffer);
      if (verdict !== false && verdict !== -1) {
        const cut = typeof verdict === "number" ? verdict : this.#buffer.length;
        return { data: this.#take(cut), end: "match" };
      }
      if (this.#buffer.length >= limits.maxBytes) return { data: this.#take(limits.maxBytes), end: "limit" };
      if (this.#closed || this.#error) {
        if (this.#error && this.#buffer.length === 0 && this.#error.kind !== "closed") throw this.#error;
        return { data: this.#take(this.#buffer.length), end: "closed" };
      }
      const left = deadline - performance.now();
      if (left <= 0) return { data: this.#take(this.#buffer.length), end: "timeout" };
      await this.#waitForData(left);
    }
  }

  /** Whatever arrives within the limits (at least one chunk, unless the time runs out). */
  read(limits: ReadLimits): Promise<ReadResult> {
    return this.readUntil((b) => b.length > 0, limits);
  }

  #take(n: number): Buffer {
    const out = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  #waitForData(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.link.signal;
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#wake = undefined;
        outcome();
      };
      const onAbort = () => settle(() => reject(new TransportError("aborted", `${this.host}:${this.port}: aborted`)));
      const timer = setTimeout(() => settle(resolve), ms);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#wake = () => settle(resolve);
    });
  }

  /** Send bytes; refused on fragile ports unless the run allows them. */
  async write(data: string | Buffer): Promise<void> {
    const why = fragileReason(this.port);
    if (why && !this.link.options.allowFragile) {
      throw new TransportError("fragile-port", `port ${this.port} is fragile (${why}); run with --allow-fragile to send it data`);
    }
    if (this.#closed) throw this.#error ?? new TransportError("closed", `${this.host}:${this.port} closed the connection`);
    await new Promise<void>((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(toTransportError(err, `${this.host}:${this.port}`)) : resolve()));
    });
  }

  /**
   * Start TLS on this connection (a ClientHello is a payload, so fragile ports refuse it).
   * Certificates are not verified here: judging them is the TLS checks' work. The server name
   * sent (SNI) is `servername`, else the host connected to when it is a name (RFC 6066 allows
   * no addresses there).
   */
  async startTls(limits: { timeoutMs: number; servername?: string; /** PEM trust anchors that decide `authorized`. */ ca?: string[] }): Promise<{ connection: TcpConnection; info: TlsInfo }> {
    const why = fragileReason(this.port);
    if (why && !this.link.options.allowFragile) {
      throw new TransportError("fragile-port", `port ${this.port} is fragile (${why}); run with --allow-fragile to send it data`);
    }
    this.socket.removeAllListeners("data");
    const servername = limits.servername ?? (isIP(this.host) ? undefined : this.host);
    const tlsSocket: TLSSocket = tlsConnect({
      socket: this.socket,
      // The name `authorized` is judged against (Node would take "localhost" for a bare socket)
      host: this.host,
      rejectUnauthorized: false,
      ...(servername ? { servername } : {}),
      ...(limits.ca ? { ca: limits.ca } : {}),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new TransportError("timeout", `${this.host}:${this.port}: no TLS handshake within ${limits.timeoutMs} ms`)), limits.timeoutMs);
        tlsSocket.once("secureConnect", () => { clearTimeout(timer); resolve(); });
        tlsSocket.once("error", (err) => { clearTimeout(timer); reject(toTransportError(err, `${this.host}:${this.port} TLS`)); });
        tlsSocket.once("close", () => { clearTimeout(timer); reject(new TransportError("closed", `${this.host}:${this.port} closed during the TLS handshake`)); });
      });
    } catch (err) {
      tlsSocket.destroy();
      throw err;
    }
    const cipher = tlsSocket.getCipher();
    const info: TlsInfo = {
      protocol: tlsSocket.getProtocol(),
      cipher: cipher.standardName ?? cipher.name,
      certificate: tlsSocket.getPeerCertificate(true),
      authorized: tlsSocket.authorized,
      ...(tlsSocket.authorizationError ? { authorizationError: String(tlsSocket.authorizationError) } : {}),
    };
    // The TLS connection owns the pace slot from now on.
    return { connection: new TcpConnection(this.host, this.port, tlsSocket, this.link, this.release, this.capBytes), info };
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Open a TCP connection to host:port. Throws TransportError: out-of-scope before anything is
 * sent, refused/timeout/unreachable when the device does not accept.
 */
export async function connectTcp(link: Link, host: string, port: number, timeoutMs: number, opts: { /** Raises the default cap, for downloads like firmware images. */ capBytes?: number } = {}): Promise<TcpConnection> {
  link.scope.assert(host);
  const release = await link.pace.acquire(link.signal);
  link.evidence.probe(host, port, "tcp");
  const socket = new Socket();
  try {
    await new Promise<void>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        link.signal.removeEventListener("abort", onAbort);
        outcome();
      };
      const timer = setTimeout(() => settle(() => reject(new TransportError("timeout", `${host}:${port}: no answer within ${timeoutMs} ms`))), timeoutMs);
      const onAbort = () => settle(() => reject(new TransportError("aborted", `${host}:${port}: aborted`)));
      link.signal.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => settle(() => {
        // The scanner's own socket met itself (see sweep-share.cjs): nothing listens there
        if (socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress) {
          reject(new TransportError("refused", `${host}:${port}: nothing listens (the connection met its own socket)`));
        } else {
          resolve();
        }
      }));
      socket.once("error", (err) => settle(() => reject(toTransportError(err, `${host}:${port}`))));
      socket.connect({ host, port });
    });
    link.evidence.answer(host, "tcp");
  } catch (err) {
    // A refusal is the host's own RST: it is there.
    if (err instanceof TransportError && err.kind === "refused") link.evidence.answer(host, "tcp");
    socket.destroy();
    release();
    throw err;
  }
  socket.setNoDelay(true);
  return new TcpConnection(host, port, socket, link, release, Math.max(opts.capBytes ?? 0, CONNECTION_CAP));
}

/** "5 s", "1.5 s": a duration as a reason states it. */
export function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Printable form of device bytes for logs and reports: non-printables as \xNN, bounded. */
export function escapeBytes(data: Buffer, max = 256): string {
  let out = "";
  for (const byte of data.subarray(0, max)) {
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x5c) out += String.fromCharCode(byte);
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x0d) out += "\\r";
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return data.length > max ? `${out}…` : out;
}
