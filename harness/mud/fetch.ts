// Fetches a MUD file or its signature over https, through a Link (scope guard, pace, probe ledger),
// bounded in bytes and time, from the URL's own host only: redirects are not followed, since a
// MUD file served from elsewhere is not the one the device names.
//
// Not done here: the server's certificate is not validated against a web PKI. httpGet does not
// report the TLS verdict; the file's own signature (signature.ts) is what vouches for it.
import { TransportError } from "../core/errors.js";
import { httpGet } from "../transports/http.js";
import type { Link } from "../transports/tcp.js";
import { httpsUrlProblems } from "./url-rules.js";

export class FetchError extends Error {
  override readonly name = "FetchError";
  constructor(
    /** bad-url: not an https URL; status: not 200; too-large: over the limit. */
    readonly kind: "bad-url" | "status" | "too-large",
    message: string,
  ) {
    super(message);
  }
}

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = { timeoutMs: 10_000, maxBytes: 256 * 1024 };

/** Where an https URL points: host (no brackets), port, path with query. Throws FetchError("bad-url"). */
export function httpsTarget(url: string): { host: string; port: number; path: string } {
  const problems = httpsUrlProblems(url);
  if (problems.length > 0) throw new FetchError("bad-url", `${url}: ${problems.join("; ")}`);
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : 443, path: `${u.pathname}${u.search}` };
}

/**
 * GET `url` and return the body. Throws FetchError (bad-url, status, too-large) or TransportError
 * (out-of-scope, refused, timeout, …) from the transport.
 */
export async function fetchOverHttps(link: Link, url: string, limits: FetchLimits = DEFAULT_FETCH_LIMITS): Promise<Buffer> {
  const { host, port, path } = httpsTarget(url);
  // One byte over the limit tells a file of exactly maxBytes from a larger one
  const res = await httpGet(link, { host, port, tls: true, path, timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes + 1 });
  if (res.status >= 300 && res.status < 400) {
    throw new FetchError("status", `${url}: HTTP ${res.status} redirect${res.headers.location ? ` to ${res.headers.location.slice(0, 200)}` : ""}; iotcert fetches MUD files from the URL itself only`);
  }
  if (res.status !== 200) throw new FetchError("status", `${url}: HTTP ${res.status}`);
  if (res.truncated || res.body.length > limits.maxBytes) throw new FetchError("too-large", `${url}: larger than ${limits.maxBytes} bytes`);
  return res.body;
}

/** A failed fetch in words, and whether the device (not the lab's network) is to blame. */
export function fetchFailure(err: unknown): { reason: string; deviceFault: boolean } {
  if (err instanceof FetchError) return { reason: err.message, deviceFault: true };
  if (err instanceof TransportError) return { reason: err.message, deviceFault: false };
  throw err;
}
