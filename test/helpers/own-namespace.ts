// A script run in a network namespace of its own, with only its loopback up: nothing listens there
// but what the script starts, and it may set the namespace's sysctls (the ephemeral port range)
// without touching the machine's. Needs root and util-linux's unshare; as test/lab/lab.ts does,
// a machine without them skips with the reason, and under CI=true the test fails instead.
import { execFile, execFileSync } from "node:child_process";
import { inCI } from "../lab/lab.js";

const onPath = (cmd: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

/** Why a namespace of its own cannot be made here; undefined when it can. */
function missing(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root for a network namespace";
  const absent = ["unshare", "ip", "ss"].filter((cmd) => !onPath(cmd));
  return absent.length ? `needs ${absent.join(", ")} (util-linux, iproute2)` : undefined;
}

/** The describe() title and skip flag; under CI=true an impossible namespace throws, never skips. */
export function ownNamespace(title: string): [string, boolean] {
  const why = missing();
  if (!why) return [title, false];
  if (inCI()) throw new Error(`${title}: ${why} (CI=true: this test must run, not skip)`);
  return [`${title} (skipped: ${why})`, true];
}

/** Run a TypeScript file with tsx in a fresh network namespace (loopback up); its stdout. */
export function inOwnNamespace(script: string, env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("unshare", ["--net", "sh", "-c", 'ip link set lo up && exec "$0" --import tsx "$1"', process.execPath, script], {
      env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 1024 * 1024,
    }, (err, stdout, stderr) => (err ? reject(new Error(`${script} in its own namespace: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}
