// HTTP/1.1 requests over our TcpConnection. node:http does the parsing (status line, headers, chunked,
// Content-Length, read-to-close): its ClientRequest takes any Duplex from `createConnection`, so it
// is handed a stream over a connection from connectTcp, and the scope guard, the pace, the probe
// ledger and the connection's byte cap all still apply.
import { request } from "node:http";
import { isIP } from "node:net";
import { Duplex } from "node:stream";
import { TransportError, toTransportError } from "../core/errors.js";
import { connectTcp, type Link, type TcpConnection, type TlsInfo } from "./tcp.js";

export interface HttpGetOptions {
  host: string;
  port: number;
  tls: boolean;
  path: string;
  headers?: Record<string, string>;
  /** A body to send (a form login's POST); sent with its Content-Length. */
  body?: string;
  /** For the whole exchange: connect, TLS handshake, request and response. */
  timeoutMs: number;
  /** Body bytes kept; the rest is not read and `truncated` is set. */
  maxBytes: number;
  /** PEM trust anchors the server's chain is judged against (response.tls.authorized); absent: Node's roots. */
  ca?: string[];
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; the first value when a header repeats. */
  headers: Record<string, string>;
  body: Buffer;
  truncated: boolean;
  /** The TLS session, for https. */
  tls?: TlsInfo;
}

const MAX_HEADER_BYTES = 16 * 1024;
const READ_CHUNK = 64 * 1024;

/** A TcpConnection seen as a Duplex stream, for node:http. */
class ConnectionStream extends Duplex {
  #reading = false;

  constructor(
    private readonly conn: TcpConnection,
    private readonly readTimeoutMs: number,
  ) {
    super();
  }

  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.conn.read({ maxBytes: READ_CHUNK, timeoutMs: this.readTimeoutMs }).then(({ data, end }) => {
      this.#reading = false;
      if (this.destroyed) return;
      if (data.length) this.push(data);
      if (end === "closed") this.push(null);
      // A quiet spell is not an end: the exchange's own deadline decides when to give up
      else if (!data.length) this._read();
    }, (err: unknown) => this.destroy(err as Error));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.conn.write(chunk).then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.conn.close();
    callback(err);
  }
}

/** node:http's errors as transport errors: parse errors are the device's, oversize headers too large. */
function httpError(err: unknown, where: string): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? "";
  if (code === "HPE_HEADER_OVERFLOW") return new TransportError("too-large", `${where}: headers over ${MAX_HEADER_BYTES} bytes`, { cause: err });
  if (code.startsWith("HPE_")) return new TransportError("protocol", `${where}: not a valid HTTP response (${code})`, { cause: err });
  // "socket hang up" / "aborted": the device closed before the response was complete
  if (code === "ECONNRESET") return new TransportError("closed", `${where}: closed before the response was complete`, { cause: err });
  return toTransportError(err, where);
}

function firstValues(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!Object.hasOwn(headers, name)) headers[name] = raw[i + 1]!;
  }
  return headers;
}

/** GET `path`: see httpRequest. */
export function httpGet(link: Link, opts: HttpGetOptions): Promise<HttpResponse> {
  return httpRequest(link, "GET", opts);
}

/**
 * Send `method` to `path` (with `opts.body`, if any) and return the status, headers and at most
 * `maxBytes` of body. Throws TransportError: out-of-scope, refused, timeout, reset, closed,
 * protocol (not HTTP), too-large.
 */
export async function httpRequest(link: Link, method: "GET" | "POST", opts: HttpGetOptions): Promise<HttpResponse> {
  const { host, port } = opts;
  const where = `${host}:${port}`;
  const deadline = performance.now() + opts.timeoutMs;
  const left = () => Math.max(1, deadline - performance.now());

  // Large downloads (firmware images) need more than the default per-connection cap
  let conn = await connectTcp(link, host, port, opts.timeoutMs, { capBytes: opts.maxBytes + MAX_HEADER_BYTES + READ_CHUNK });
  let tls: TlsInfo | undefined;
  if (opts.tls) {
    try {
      // SNI carries host names only; an address is sent without it
      ({ connection: conn, info: tls } = await conn.startTls({ timeoutMs: left(), ...(opts.ca ? { ca: opts.ca } : {}) }));
    } catch (err) {
      conn.close();
      throw err;
    }
  }
  const stream = new ConnectionStream(conn, opts.timeoutMs);
  const hostHeader = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;

  return new Promise<HttpResponse>((resolve, reject) => {
    const req = request({
      method,
      path: opts.path,
      headers: {
        host: hostHeader, "user-agent": "iotcert", accept: "*/*", connection: "close",
        // Embedded servers often cannot read a chunked request body
        ...(opts.body !== undefined ? { "content-length": String(Buffer.byteLength(opts.body)) } : {}),
        ...opts.headers,
      },
      setHost: false,
      createConnection: () => stream,
      maxHeaderSize: MAX_HEADER_BYTES,
      // Embedded web servers often bend HTTP (bare LF, odd header bytes); a certifier must still read them
      insecureHTTPParser: true,
    });
    let settled = false;
    const finish = (outcome: { response: HttpResponse } | { error: unknown }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      link.signal.removeEventListener("abort", onAbort);
      req.destroy();
      if ("response" in outcome) resolve(outcome.response);
      else reject(httpError(outcome.error, where));
    };
    const timer = setTimeout(() => finish({ error: conn.timedOut(`${where}: no complete answer within ${opts.timeoutMs} ms`) }), left());
    const onAbort = () => finish({ error: new TransportError("aborted", `${where}: aborted`) });
    // Before any finish(): its req.destroy() makes the request emit "socket hang up", which
    // would be an uncaught exception without a listener.
    req.on("error", (error) => finish({ error }));
    if (link.signal.aborted) return onAbort();
    link.signal.addEventListener("abort", onAbort, { once: true });

    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (truncated: boolean) => finish({
        response: { status: res.statusCode ?? 0, headers: firstValues(res.rawHeaders), body: Buffer.concat(chunks), truncated, ...(tls ? { tls } : {}) },
      });
      res.on("data", (chunk: Buffer) => {
        const room = opts.maxBytes - size;
        chunks.push(chunk.subarray(0, room));
        size += Math.min(chunk.length, room);
        if (chunk.length > room) done(true);
      });
      res.on("end", () => done(false));
      res.on("error", (error) => finish({ error }));
    });
    req.end(opts.body);
  });
}

/** The Authorization header value for HTTP Basic authentication (RFC 7617, UTF-8). */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}
