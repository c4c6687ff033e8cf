// Node-RED 4 from node_modules (a dev dependency), started as the real program (red.js) on
// 127.0.0.1 with a temporary user directory and a settings file of the test's: adminAuth with
// the users it names (bcrypt hashes, as Node-RED's settings take them), none when there are none. Resolves once it listens
// (bounded), with its port; stop() ends the process and removes the directory.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";

export interface NodeRed {
  port: number;
  stop(): Promise<void>;
}

export interface NodeRedUser {
  username: string;
  password: string;
}

const START_MS = 30_000;
const RUNNING = /Server now running at http:\/\/127\.0\.0\.1:(\d+)\//;

export async function startNodeRed(opts: { users: NodeRedUser[] }): Promise<NodeRed> {
  const red = createRequire(import.meta.url).resolve("node-red/red.js");
  const userDir = mkdtempSync(join(tmpdir(), "iotcert-node-red-"));
  const settings = join(userDir, "settings.js");
  const users = opts.users.map((u) => ({ username: u.username, password: bcrypt.hashSync(u.password, 8), permissions: "*" }));
  writeFileSync(settings, `module.exports = ${JSON.stringify({
    uiHost: "127.0.0.1",
    flowFile: "flows.json",
    credentialSecret: false,
    ...(users.length ? { adminAuth: { type: "credentials", users } } : {}),
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: { console: { level: "info", metrics: false, audit: false } },
  })};\n`);
  const child: ChildProcess = spawn(process.execPath, [red, "--settings", settings, "--userDir", userDir, "--port", "0", "--no-telemetry"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: "false" },
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(userDir, { recursive: true, force: true });
  };
  let output = "";
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Node-RED did not listen within ${START_MS} ms:\n${output.slice(-2000)}`)), START_MS);
      const seen = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const m = RUNNING.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on("data", seen);
      child.stderr!.on("data", seen);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`Node-RED exited (${code}) before it listened:\n${output.slice(-2000)}`));
      });
    });
    return { port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
