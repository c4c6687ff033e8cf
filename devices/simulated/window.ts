// A simulated device lives in a window of 100 ports on a loopback address, and its descriptor
// scans exactly that window, so a scan of it never sees the rest of the machine (nor another
// simulated device started beside it). A device listens on a few ports of its window only, so
// "nothing listens there" does not keep another device's window from overlapping it: the
// windows this process has handed out are kept, and a new one must not overlap any of them.
import type { Server } from "node:net";
import { createServer } from "node:net";

const WINDOW_SIZE = 100;
const LOWEST_BASE = 20_000;
const HIGHEST_BASE = 60_000;
const TRIES = 20;

export interface PortWindow {
  host: string;
  base: number;
  /** Where each server listens. */
  ports: Record<string, number>;
  /** The window as a descriptor's `network.tcpPorts`. */
  tcpPorts: string;
  /** Give the window back, once its servers are closed. */
  release(): void;
}

/** Bases of the windows handed out and not released, by host. */
const claimed = new Map<string, Set<number>>();

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen({ host, port }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/** True when nothing listens anywhere in the window on `host` (a wildcard listener counts). */
async function windowIsFree(host: string, base: number): Promise<boolean> {
  const probes: Server[] = [];
  try {
    for (let port = base; port < base + WINDOW_SIZE; port++) {
      const probe = createServer();
      await listen(probe, host, port);
      probes.push(probe);
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") return false;
    throw err;
  } finally {
    await Promise.all(probes.map(close));
  }
}

async function tryWindow(host: string, base: number, servers: Record<string, { server: Server; offset: number }>): Promise<boolean> {
  const mine = claimed.get(host) ?? new Set<number>();
  claimed.set(host, mine);
  if ([...mine].some((other) => Math.abs(other - base) < WINDOW_SIZE)) return false;
  // Claimed before the first await, so that devices started at once cannot take overlapping windows
  mine.add(base);
  const started: Server[] = [];
  try {
    if (!(await windowIsFree(host, base))) {
      mine.delete(base);
      return false;
    }
    for (const { server, offset } of Object.values(servers)) {
      await listen(server, host, base + offset);
      started.push(server);
    }
    return true;
  } catch (err) {
    mine.delete(base);
    await Promise.all(started.map(close));
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") return false;
    throw err;
  }
}

/**
 * Start `servers` at base+offset in a free window at a random base port on the first of `hosts`
 * that can be bound (127.0.0.2 is not configured on every system: macOS has only 127.0.0.1).
 */
export async function listenInWindow(hosts: string[], servers: Record<string, { server: Server; offset: number }>, wanted?: number): Promise<PortWindow> {
  for (const [i, host] of hosts.entries()) {
    try {
      for (let attempt = 0; attempt < TRIES; attempt++) {
        // A wanted window first (a second build of a device on the ports of the first), else at random
        const base = attempt === 0 && wanted !== undefined ? wanted : LOWEST_BASE + Math.floor(Math.random() * (HIGHEST_BASE - LOWEST_BASE));
        if (await tryWindow(host, base, servers)) {
          const ports = Object.fromEntries(Object.entries(servers).map(([name, { offset }]) => [name, base + offset]));
          return { host, base, ports, tcpPorts: `${base}-${base + WINDOW_SIZE - 1}`, release: () => claimed.get(host)?.delete(base) };
        }
      }
      throw new Error(`no free window of ${WINDOW_SIZE} ports on ${host} after ${TRIES} tries`);
    } catch (err) {
      const unbindable = (err as NodeJS.ErrnoException).code === "EADDRNOTAVAIL";
      if (!unbindable || i === hosts.length - 1) throw err;
    }
  }
  throw new Error("no host to listen on");
}
