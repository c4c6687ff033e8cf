// HTTP Digest access authentication (RFC 7616, and RFC 2069's form without qop that old cameras
// still send), for HTTP and RTSP logins: read the server's challenge, answer it for one pair.
// Hand-written: the npm packages for Digest wrap fetch or axios, and our requests go through
// our own bounded transports; the computation itself is a few hashes.
import { createHash, randomBytes } from "node:crypto";
import { TransportError } from "../core/errors.js";

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /** MD5, MD5-sess, SHA-256 or SHA-256-sess, as the server spelt it. */
  algorithm: string;
  /** "auth" when the server offers it; undefined for RFC 2069 servers. */
  qop?: "auth";
  /** The server says the nonce expired, not that the credentials were wrong. */
  stale: boolean;
}

const HASHES: Record<string, string> = { MD5: "md5", "SHA-256": "sha256" };
/** Parameters of a challenge longer than this are not a device's honest challenge. */
const MAX_VALUE = 1024;

/** `key=value` and `key="quoted, value"` pairs after the scheme, lower-case keys. */
function parameters(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.){0,1024})"|([^\s,"]{0,1024}))\s*(?:,|$)/gy;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) break;
    params.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!);
    at = re.lastIndex;
    while (text[at] === " " || text[at] === "\t") at++;
  }
  return params;
}

/** The Digest challenge in a WWW-Authenticate value, or undefined when there is none we can answer. */
export function parseDigestChallenge(header: string | undefined): DigestChallenge | undefined {
  if (!header) return undefined;
  const start = /(?:^|,)\s*Digest\s+/i.exec(header);
  if (!start) return undefined;
  const params = parameters(header.slice(start.index + start[0].length));
  const realm = params.get("realm");
  const nonce = params.get("nonce");
  if (realm === undefined || !nonce || nonce.length > MAX_VALUE) return undefined;
  const algorithm = params.get("algorithm") ?? "MD5";
  if (!hashOf(algorithm)) return undefined;
  const qops = (params.get("qop") ?? "").split(",").map((q) => q.trim().toLowerCase());
  const opaque = params.get("opaque");
  return {
    realm, nonce, algorithm,
    ...(opaque !== undefined ? { opaque } : {}),
    ...(qops.includes("auth") ? { qop: "auth" as const } : {}),
    stale: params.get("stale")?.toLowerCase() === "true",
  };
}

/** node:crypto's name for the hash of a Digest algorithm, or undefined for one we cannot do. */
const hashOf = (algorithm: string) => HASHES[algorithm.toUpperCase().replace(/-SESS$/, "")];

const quote = (v: string) => `"${v.replace(/(["\\])/g, "\\$1")}"`;

/**
 * The Authorization value answering `challenge` for one pair. `nc` counts the requests made with
 * this nonce (1 for the first); `cnonce` is random unless given (the RFC's examples give it).
 */
export function digestAuthorization(challenge: DigestChallenge, pair: { username: string; password: string }, method: string, uri: string, nc = 1, cnonce = randomBytes(8).toString("hex")): string {
  const hashName = hashOf(challenge.algorithm)!;
  const h = (text: string) => createHash(hashName).update(text, "utf8").digest("hex");
  const count = nc.toString(16).padStart(8, "0");
  let ha1 = h(`${pair.username}:${challenge.realm}:${pair.password}`);
  if (/-sess$/i.test(challenge.algorithm)) ha1 = h(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = h(`${method}:${uri}`);
  const response = challenge.qop ? h(`${ha1}:${challenge.nonce}:${count}:${cnonce}:auth:${ha2}`) : h(`${ha1}:${challenge.nonce}:${ha2}`);
  const fields = [
    `username=${quote(pair.username)}`, `realm=${quote(challenge.realm)}`, `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(uri)}`, `algorithm=${challenge.algorithm}`, `response=${quote(response)}`,
    ...(challenge.opaque !== undefined ? [`opaque=${quote(challenge.opaque)}`] : []),
    ...(challenge.qop ? [`qop=auth`, `nc=${count}`, `cnonce=${quote(cnonce)}`] : []),
  ];
  return `Digest ${fields.join(", ")}`;
}

/** A server that calls a fresh nonce stale this often is not answering logins. */
const STALE_TRIES = 3;

/**
 * Logins answered by Digest against one server: each request answers the latest challenge the
 * server sent (every 401 brings a new one). A 401 that calls the nonce stale says nothing about
 * the password, so the request is sent again with the fresh nonce; parallel attempts that raced
 * for a one-time nonce settle this way.
 */
export class DigestSession {
  #challenge: DigestChallenge;
  #uses = 0;

  constructor(first: DigestChallenge) {
    this.#challenge = first;
  }

  async send<T extends { status: number }>(
    pair: { username: string; password: string }, method: string, uri: string,
    request: (authorization: string) => Promise<T>, challengeIn: (answer: T) => string | undefined,
  ): Promise<T> {
    for (let tries = 1; ; tries++) {
      const answer = await request(digestAuthorization(this.#challenge, pair, method, uri, ++this.#uses));
      const next = answer.status === 401 ? parseDigestChallenge(challengeIn(answer)) : undefined;
      if (next) {
        this.#challenge = next;
        this.#uses = 0;
      }
      if (!next?.stale) return answer;
      if (tries >= STALE_TRIES) throw new TransportError("protocol", `${tries} nonces in a row were called stale`);
    }
  }
}
