// --queue redis://[user:password@]HOST:PORT[/DB] (or rediss:// for TLS): the connection options
// BullMQ hands to ioredis, and the address to show, which never includes the password. The
// password may come from IOTCERT_REDIS_PASSWORD instead of the URL.
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "bullmq";
import { BadInput } from "../cli/io.js";

export interface QueueAddress {
  connection: ConnectionOptions;
  /** The URL without its password, for messages. */
  shown: string;
}

const DEFAULT_PORT = 6379;

/** `caFile`: PEM CA certificates to trust for rediss:// (a lab's own CA); the system's otherwise. */
export function parseQueueUrl(url: string, caFile?: string): QueueAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadInput(`--queue ${url}: not a URL (expected redis://HOST:PORT[/DB] or rediss://…)`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new BadInput(`--queue: must be a redis:// or rediss:// URL, not ${parsed.protocol}`);
  if (!parsed.hostname) throw new BadInput("--queue: the URL names no host");
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db)) throw new BadInput(`--queue: the database is a number (redis://HOST:PORT/0), not "${db}"`);
  if (caFile && parsed.protocol !== "rediss:") throw new BadInput("--queue-ca is for rediss:// (TLS) only");
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const tls = parsed.protocol === "rediss:"
    ? { servername: host, ...(caFile ? { ca: readCa(caFile) } : {}) }
    : undefined;
  // In the URL a password shows in `ps`; the environment keeps it out of sight.
  const password = parsed.password ? decodeURIComponent(parsed.password) : process.env.IOTCERT_REDIS_PASSWORD;
  const shownUrl = new URL(parsed.href);
  shownUrl.password = "";
  return {
    connection: {
      host,
      port: parsed.port ? Number(parsed.port) : DEFAULT_PORT,
      ...(db ? { db: Number(db) } : {}),
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(password ? { password } : {}),
      ...(tls ? { tls } : {}),
    },
    shown: shownUrl.href,
  };
}

function readCa(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new BadInput(`--queue-ca ${file}: ${(err as Error).message}`);
  }
}
