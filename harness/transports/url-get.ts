// GET an http or https URL through httpGet (scope guard, pace, probe ledger, bounded), following
// redirects only within the same host and scheme: a resource served from another host is not the
// one the descriptor names, and a redirect from https to http would hide a downgrade.
import { TransportError } from "../core/errors.js";
import { httpGet, type HttpResponse } from "./http.js";
import type { Link } from "./tcp.js";

export interface UrlGetOptions {
  timeoutMs: number;
  maxBytes: number;
  /** PEM trust anchors for https (response.tls.authorized); absent: Node's roots. */
  ca?: string[];
  /** How many same-host redirects to follow (0: none). */
  redirects?: number;
}

export interface UrlResponse extends HttpResponse {
  /** The URL that answered, after redirects. */
  url: string;
}

/** Where a URL points: scheme, host without brackets, port, path with query. */
export function urlTarget(url: string): { tls: boolean; host: string; port: number; path: string } {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new TransportError("protocol", `${url}: not an http or https URL`);
  const tls = u.protocol === "https:";
  return { tls, host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : tls ? 443 : 80, path: `${u.pathname}${u.search}` };
}

/** Throws TransportError like httpGet; a redirect elsewhere is returned as it came (3xx). */
export async function getUrl(link: Link, url: string, opts: UrlGetOptions): Promise<UrlResponse> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const { tls, host, port, path } = urlTarget(current);
    const res = await httpGet(link, { host, port, tls, path, timeoutMs: opts.timeoutMs, maxBytes: opts.maxBytes, ...(opts.ca ? { ca: opts.ca } : {}) });
    const location = res.headers.location;
    if (res.status < 300 || res.status >= 400 || !location || hop >= (opts.redirects ?? 0)) return { ...res, url: current };
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      return { ...res, url: current };
    }
    const here = new URL(current);
    if (next.protocol !== here.protocol || next.host !== here.host) return { ...res, url: current };
    current = next.href;
  }
}
