// SSH: which user-authentication methods a server offers, and one login attempt — ssh2's client
// over a socket that connectTcp opened (so the scope guard, the pace and the probe ledger apply).
// Nothing is ever run after a login: the connection closes on the server's USERAUTH_SUCCESS.
import { createHash } from "node:crypto";
import { Duplex } from "node:stream";
import { Client, type AnyAuthMethod, type AuthenticationType, type NextAuthHandler } from "ssh2";
import { TransportError, toTransportError } from "../core/errors.js";
import { connectTcp, type Link, type TcpConnection } from "./tcp.js";

export interface SshTiming {
  connectTimeoutMs: number;
  /** For each answer of the server (key exchange, each authentication request). */
  replyTimeoutMs: number;
}

/** Round trips one attempt may need: version and key exchange, "none", then up to two methods. */
const ROUND_TRIPS = 4;
const CHUNK_BYTES = 64 * 1024;

/** A Duplex over a TcpConnection, for ssh2's `sock` option; bytes stay bounded by the connection. */
function streamOf(conn: TcpConnection): Duplex {
  let pumping = false;
  const stream: Duplex = new Duplex({
    allowHalfOpen: false,
    read() {
      if (pumping) return;
      pumping = true;
      void pump();
    },
    write(chunk: Buffer, _encoding, done) {
      conn.write(chunk).then(() => done(), (err: unknown) => done(err as Error));
    },
    destroy(err, done) {
      conn.close();
      done(err);
    },
  });
  async function pump(): Promise<void> {
    try {
      while (!stream.destroyed) {
        const { data, end } = await conn.read({ maxBytes: CHUNK_BYTES, timeoutMs: 1000 });
        if (end === "closed") {
          if (data.length) stream.push(data);
          stream.push(null);
          return;
        }
        if (data.length && !stream.push(data)) {
          pumping = false;
          return;
        }
      }
    } catch (err) {
      stream.destroy(err as Error);
    }
  }
  return stream;
}

/**
 * An SSH server sends its identification string as soon as it accepts (RFC 4253 §4.2): one that
 * has said nothing after a reply's time never will, and the whole budget need not be waited out.
 */
function silenceTimer(conn: TcpConnection, timing: SshTiming, fail: (err: TransportError) => void): NodeJS.Timeout {
  return setTimeout(() => {
    if (!conn.spoke) fail(conn.timedOut(`${conn.host}:${conn.port}: no SSH identification within ${timing.replyTimeoutMs} ms`));
  }, timing.replyTimeoutMs);
}

type Session = { ready: true } | { ready: false; authMethods: string[] };

/**
 * One SSH connection driven by `authHandler` until the server accepts (ready) or ssh2 gives up
 * authenticating (client-authentication: every method we tried was refused). Anything else — a
 * refused, reset, dropped or silent connection, a broken handshake — throws a TransportError.
 */
async function session(
  link: Link, host: string, port: number, username: string, timing: SshTiming,
  authHandler: (methodsLeft: string[] | null, next: NextAuthHandler) => void,
): Promise<Session> {
  const where = `${host}:${port}`;
  const conn = await connectTcp(link, host, port, timing.connectTimeoutMs);
  const client = new Client();
  let offered: string[] = [];
  const budget = timing.replyTimeoutMs * ROUND_TRIPS;
  try {
    return await new Promise<Session>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        clearTimeout(greeting);
        link.signal.removeEventListener("abort", onAbort);
        outcome();
      };
      const timer = setTimeout(() => settle(() => reject(conn.timedOut(`${where}: SSH login not settled within ${budget} ms`))), budget);
      const greeting = silenceTimer(conn, timing, (err) => settle(() => reject(err)));
      const onAbort = () => settle(() => reject(new TransportError("aborted", `${where}: aborted`)));
      if (link.signal.aborted) return onAbort();
      link.signal.addEventListener("abort", onAbort, { once: true });
      client.on("ready", () => settle(() => resolve({ ready: true })));
      client.on("error", (err: Error & { level?: string }) => settle(() => {
        if (err.level === "client-authentication") return resolve({ ready: false, authMethods: offered });
        if (err instanceof TransportError) return reject(err);
        if (err.level === "client-timeout") return reject(new TransportError("timeout", `${where}: ${err.message}`, { cause: err }));
        if (err.level === "client-socket") return reject(toTransportError(err, where));
        reject(new TransportError("protocol", `${where}: SSH ${err.level ?? "error"}: ${err.message}`, { cause: err }));
      }));
      client.on("close", () => settle(() => reject(new TransportError("closed", `${where} closed the SSH connection before authentication ended`))));
      client.connect({
        sock: streamOf(conn),
        username,
        readyTimeout: budget,
        // Host keys are the crypto checks' business; a login attempt only needs the channel
        hostVerifier: () => true,
        authHandler: ((methodsLeft: AuthenticationType[] | null, _partial: boolean, next: NextAuthHandler) => {
          if (methodsLeft) offered = [...methodsLeft];
          authHandler(methodsLeft, next);
        }) as never,
      });
    });
  } finally {
    client.removeAllListeners();
    client.on("error", () => {});
    client.end();
    conn.close();
  }
}

const refuse = (next: NextAuthHandler) => (next as unknown as (v: false) => void)(false);

/**
 * The methods the server offers after refusing the "none" method (RFC 4252 §5.2), or "none" when
 * it let us in without any credential at all.
 */
export async function sshAuthMethods(link: Link, host: string, port: number, username: string, timing: SshTiming): Promise<string[] | "none"> {
  const s = await session(link, host, port, username, timing, (methodsLeft, next) => {
    if (methodsLeft === null) return next("none");
    refuse(next);
  });
  return s.ready ? "none" : s.authMethods;
}

export type SshLoginResult =
  | { result: "success"; method: "password" | "keyboard-interactive" }
  | { result: "rejected"; methods: string[] };

/**
 * One login: password if the server offers it, then keyboard-interactive (every prompt answered
 * with the password) if it offers that. `methods` is what sshAuthMethods found; the first request
 * goes straight to a method so the server never sees a "none" request on an attempt.
 */
export async function sshLogin(
  link: Link, host: string, port: number, credential: { username: string; password: string },
  methods: readonly string[], timing: SshTiming,
): Promise<SshLoginResult> {
  const tried = new Set<string>();
  let accepted: "password" | "keyboard-interactive" | undefined;
  const plan = (["password", "keyboard-interactive"] as const).filter((m) => methods.includes(m));
  const s = await session(link, host, port, credential.username, timing, (methodsLeft, next) => {
    const method = plan.find((m) => !tried.has(m) && (methodsLeft === null || methodsLeft.includes(m)));
    if (!method) return refuse(next);
    tried.add(method);
    accepted = method;
    const auth: AnyAuthMethod = method === "password"
      ? { type: "password", username: credential.username, password: credential.password }
      : {
          type: "keyboard-interactive", username: credential.username,
          prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => credential.password)),
        };
    next(auth);
  });
  if (s.ready) return { result: "success", method: accepted ?? "password" };
  return { result: "rejected", methods: s.authMethods };
}

/**
 * Host key algorithms asked for one per connection, so a server holding several keys shows each:
 * OpenSSH and dropbear keep one key per type. rsa-sha2-256 stands for the RSA key (its blob is
 * "ssh-rsa" whatever the signature hash).
 */
export const HOST_KEY_ALGORITHMS = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-256", "ssh-dss"] as const;

export interface SshHostKey {
  /** The key type inside the blob: "ssh-ed25519", "ssh-rsa", … */
  keyType: string;
  /** As `ssh-keygen -l` prints it: "SHA256:" and the unpadded base64 of the blob's SHA-256. */
  fingerprint: string;
}

function hostKeyOf(blob: Buffer): SshHostKey {
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const keyType = typeLength > 0 && typeLength <= 64 && 4 + typeLength <= blob.length ? blob.subarray(4, 4 + typeLength).toString("latin1") : "unknown";
  return { keyType, fingerprint: `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}` };
}

/**
 * The server's host key for `algorithm`, taken only once the key exchange is complete: ssh2 has
 * then checked the server's signature with it, so the server holds the private key and is not
 * replaying someone else's public one. Undefined when the server has no key of that type.
 * Nothing is authenticated: the connection closes after the key exchange.
 */
export async function sshHostKey(link: Link, host: string, port: number, algorithm: string, timing: SshTiming): Promise<SshHostKey | undefined> {
  const where = `${host}:${port}`;
  const conn = await connectTcp(link, host, port, timing.connectTimeoutMs);
  const client = new Client();
  let blob: Buffer | undefined;
  const budget = timing.replyTimeoutMs * 2;
  try {
    return await new Promise<SshHostKey | undefined>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        clearTimeout(greeting);
        link.signal.removeEventListener("abort", onAbort);
        outcome();
      };
      const timer = setTimeout(() => settle(() => reject(conn.timedOut(`${where}: SSH key exchange not done within ${budget} ms`))), budget);
      const greeting = silenceTimer(conn, timing, (err) => settle(() => reject(err)));
      const onAbort = () => settle(() => reject(new TransportError("aborted", `${where}: aborted`)));
      if (link.signal.aborted) return onAbort();
      link.signal.addEventListener("abort", onAbort, { once: true });
      client.on("handshake", () => settle(() => (blob ? resolve(hostKeyOf(blob)) : reject(new TransportError("protocol", `${where}: key exchange ended without a host key`)))));
      client.on("error", (err: Error & { level?: string }) => settle(() => {
        if (err.level === "handshake" && /no matching host key/.test(err.message)) return resolve(undefined);
        if (err instanceof TransportError) return reject(err);
        if (err.level === "client-socket") return reject(toTransportError(err, where));
        reject(new TransportError("protocol", `${where}: SSH ${err.level ?? "error"}: ${err.message}`, { cause: err }));
      }));
      client.on("close", () => settle(() => reject(new TransportError("closed", `${where} closed the SSH connection during the key exchange`))));
      client.connect({
        sock: streamOf(conn),
        username: "iotcert",
        readyTimeout: budget,
        algorithms: { serverHostKey: [algorithm as never] },
        hostVerifier: (key: Buffer) => {
          blob = Buffer.from(key);
          return true;
        },
      });
    });
  } finally {
    client.removeAllListeners();
    client.on("error", () => {});
    client.end();
    conn.close();
  }
}
