// Two lab networks on one machine for the distributed campaign test: network namespaces iotq-*
// joined to the root namespace by a veth pair each (198.19.N.1 here, 198.19.N.2 in the lab, no
// route between labs), a real redis-server, and processes started inside a lab. Needs root, ip
// and redis-server: without them the test skips, and under CI=true it fails instead.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { inCI } from "../lab/lab.js";

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, "..", "..");
export const CLI = join(HERE, "iotcert-cli.ts");
const STOP_GRACE_MS = 5_000;

function has(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function requireQueueLab(): { skip: boolean; reason: string } {
  const missing = [process.getuid?.() === 0 ? "" : "root", has("ip") ? "" : "ip (iproute2)", has("redis-server") ? "" : "redis-server"].filter(Boolean);
  if (missing.length === 0) return { skip: false, reason: "" };
  const reason = `queue lab unavailable: needs ${missing.join(", ")}`;
  if (inCI()) throw new Error(`${reason} (CI=true: this test must run, not skip)`);
  return { skip: true, reason };
}

export interface LabNet {
  ns: string;
  /** The root namespace's end: where Redis listens for this lab's workers. */
  harness: string;
  /** The lab's end: where its devices listen. */
  address: string;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function removeLabNet(ns: string): void {
  try { ip("link", "del", `${ns}-h`); } catch { /* not there */ }
  try { ip("netns", "del", ns); } catch { /* not there */ }
}

export function createLabNet(ns: string, subnet: number): LabNet {
  removeLabNet(ns);
  const net = { ns, harness: `198.19.${subnet}.1`, address: `198.19.${subnet}.2` };
  ip("netns", "add", ns);
  ip("link", "add", `${ns}-h`, "type", "veth", "peer", "name", `${ns}-n`);
  ip("link", "set", `${ns}-n`, "netns", ns);
  ip("addr", "add", `${net.harness}/24`, "dev", `${ns}-h`);
  ip("link", "set", `${ns}-h`, "up");
  ip("-n", ns, "addr", "add", `${net.address}/24`, "dev", `${ns}-n`);
  ip("-n", ns, "link", "set", `${ns}-n`, "up");
  ip("-n", ns, "link", "set", "lo", "up");
  return net;
}

/** A process in the lab's namespace (or here, without one); its output is kept for the test to read. */
export interface LabProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output holds `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startIn(ns: string | undefined, args: string[]): LabProcess {
  const command = ns ? ["ip", "netns", "exec", ns, process.execPath, "--import", "tsx", ...args] : [process.execPath, "--import", "tsx", ...args];
  const child = spawn(command[0]!, command.slice(1), { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let text = "";
  child.stdout!.on("data", (b: Buffer) => (text += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (text += b.toString()));
  const exited = once(child, "exit");
  return {
    child,
    output: () => text,
    waitFor: async (wanted, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(wanted)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`never printed "${wanted}" (exit ${child.exitCode}):\n${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      // A process that does not end on SIGTERM in a few seconds is killed: a test must not hang on it.
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface RedisServer {
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** redis-server on `binds` at `port`, keeping nothing on disk; stop and start again on the same port. */
export async function startRedis(binds: string[], port: number, dir: string, extra: string[] = []): Promise<RedisServer> {
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", ...binds, "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "no", ...extra], { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis({ host: binds[0], port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, ...(extra.includes("--requirepass") ? { password: extra[extra.indexOf("--requirepass") + 1]! } : {}) });
      client.on("error", () => {});
      try {
        await client.connect();
        await client.ping();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        client.disconnect();
      }
    }
  };
  await start();
  return {
    port,
    start,
    stop: async () => {
      if (child && child.exitCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
