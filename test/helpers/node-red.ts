// A real Node-RED 4 (node_modules/node-red) on 127.0.0.1 for a test: its own default settings file,
// a fresh userDir, telemetry off, and adminAuth when users are given (bcrypt, as Node-RED documents).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import bcrypt from "bcryptjs";

const require = createRequire(import.meta.url);
const RED = require.resolve("node-red/red.js");
const START_TIMEOUT_MS = 60_000;

export interface NodeRed {
  port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface NodeRedUser {
  username: string;
  password: string;
}

/** Node-RED with its own default settings; with `users`, adminAuth for them (every permission). */
export async function startNodeRed(opts: { users?: NodeRedUser[] } = {}): Promise<NodeRed> {
  const dir = mkdtempSync(join(tmpdir(), "iotcert-node-red-"));
  const port = await freePort();
  const users = (opts.users ?? []).map((u) => ({ username: u.username, password: bcrypt.hashSync(u.password, 8), permissions: "*" }));
  const auth = users.length ? { adminAuth: { type: "credentials", users } } : {};
  const settings = join(dir, "settings.js");
  writeFileSync(settings, `module.exports = { ...require(${JSON.stringify(join(dirname(RED), "settings.js"))}), ...${JSON.stringify({
    userDir: join(dir, "user"), uiHost: "127.0.0.1", uiPort: port, telemetry: { enabled: false, updateNotification: false }, ...auth,
  })} };\n`);
  const child: ChildProcess = spawn(process.execPath, [RED, "--settings", settings], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start in ${START_TIMEOUT_MS / 1000} s:\n${log}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Server now running at")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Node-RED exited (${code}):\n${log}`));
    });
  });
  return {
    port,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
