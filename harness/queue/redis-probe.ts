// Is Redis there? Once before a command starts (a clear error and exit 3 rather than ioredis
// retrying for ever), and for the coordinator every few seconds while a campaign runs, so that a
// Redis that goes away stops the campaign with what finished instead of hanging it.
import { Redis } from "ioredis";
import type { QueueAddress } from "./redis-url.js";

const CONNECT_TIMEOUT_MS = 5_000;
const PING_EVERY_MS = 2_000;
/** Misses in a row before Redis counts as gone: one slow answer on a busy machine is not an outage. */
const MISSES_ALLOWED = 3;

export class RedisUnreachable extends Error {
  override readonly name = "RedisUnreachable";
}

function probeClient(address: QueueAddress): Redis {
  return new Redis({
    ...(address.connection as object),
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
}

async function ping(address: QueueAddress): Promise<void> {
  const client = probeClient(address);
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

export async function assertRedisAnswers(address: QueueAddress): Promise<void> {
  try {
    await ping(address);
  } catch (err) {
    throw new RedisUnreachable(`Redis at ${address.shown} unreachable: ${(err as Error).message}`);
  }
}

/** Resolves never while Redis answers; rejects with RedisUnreachable once it has stopped. `stop` ends the watch. */
export function watchRedis(address: QueueAddress): { gone: Promise<never>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const gone = new Promise<never>((_, reject) => {
    let misses = 0;
    const tick = async () => {
      try {
        await ping(address);
        misses = 0;
      } catch (err) {
        if (++misses >= MISSES_ALLOWED) {
          reject(new RedisUnreachable(`Redis at ${address.shown} stopped answering: ${(err as Error).message}`));
          return;
        }
      }
      if (!stopped) timer = setTimeout(() => void tick(), PING_EVERY_MS);
    };
    timer = setTimeout(() => void tick(), PING_EVERY_MS);
  });
  gone.catch(() => {});
  return {
    gone,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
