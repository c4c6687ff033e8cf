// bench/credentials: iotcert's credential check against hydra (Debian's hydra) on the lab's
// vulnerable plug, in one run: telnet, SSH and HTTP Basic, the same list in the same order with
// the working pair last. Prints each tool's wall time (process start to exit), the attempts it
// made and the ratio iotcert / hydra in seconds per attempt, twice: for iotcert's whole run (which
// also finds the port, waits for its banner and identifies the service, work hydra is spared by
// being told) and for its login phase alone (the credential check's own time in run.log).
// Needs root, the lab (.ci/run) and hydra.
//
//   npx tsx bench/credentials.ts [--rounds N] [--service telnet|ssh|http] [--wrong N]
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import type { Report } from "../harness/core/report.js";
import { labAddresses, ROOT } from "./lab-guard.js";

const run = promisify(execFile);
const ADDRESS = "198.18.0.10";

interface Service {
  id: string;
  port: number;
  working: string;
  /** hydra's module and its arguments; tasks as hydra's own documentation advises per module. */
  hydra: string[];
}

const SERVICES: Service[] = [
  { id: "telnet", port: 23, working: "root:xc3511", hydra: ["-t", "16", "telnet"] },
  // hydra warns to use at most 4 tasks on SSH; iotcert keeps to 4 there as well
  { id: "ssh", port: 22, working: "root:xc3511", hydra: ["-t", "4", "ssh"] },
  { id: "http", port: 80, working: "admin:admin", hydra: ["-t", "16", "http-get", "/admin/"] },
];

interface Result {
  seconds: number;
  /** iotcert: the credential check's own time, from run.log. */
  loginSeconds?: number;
  attempts: number;
  found?: string;
}

/** Seconds between the credential check's start and end lines in run.log. */
function loginPhase(log: string): number | undefined {
  const lines = log.trim().split("\n").map((l) => JSON.parse(l) as { check?: string; msg: string; time: string });
  const at = (msg: string) => lines.find((l) => l.check === "credentials.default-passwords" && l.msg === msg)?.time;
  const [start, end] = [at("check started"), at("check finished")];
  return start && end ? (Date.parse(end) - Date.parse(start)) / 1000 : undefined;
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { seconds: (performance.now() - started) / 1000, value };
}

async function iotcert(dir: string, s: Service, list: string): Promise<Result> {
  const descriptor = join(dir, `${s.id}.yaml`);
  writeFileSync(descriptor, stringify({
    id: `bench-${s.id}`, vendor: "Acme", model: "SmartPlug P1", firmware: "1.0.3",
    network: { address: ADDRESS, tcpPorts: String(s.port), udpPorts: [] },
  }));
  const out = join(dir, `iotcert-${s.id}`);
  const { seconds } = await timed(() => run("node", [
    "bin/iotcert.js", "run", descriptor, "--only", "credentials.default-passwords", "--pace", "fast", "--credentials", list, "--out", out,
  ], { cwd: ROOT, maxBuffer: 1 << 24 }));
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report;
  const check = report.checks.find((c) => c.id === "credentials.default-passwords");
  const service = (check?.evidence as { services?: { tried: number; abandoned?: number }[] } | undefined)?.services?.[0];
  const finding = report.findings.find((f) => f.check === "credentials.default-passwords")?.evidence as { username?: string; password?: string } | undefined;
  const loginSeconds = loginPhase(readFileSync(join(out, "run.log"), "utf8"));
  return {
    // Pairs sent, as hydra counts its [ATTEMPT] lines: answered ones, and those cut short at the find
    seconds, attempts: (service?.tried ?? 0) + (service?.abandoned ?? 0),
    ...(loginSeconds !== undefined ? { loginSeconds } : {}),
    ...(finding ? { found: `${finding.username}:${finding.password}` } : {}),
  };
}

async function hydra(dir: string, s: Service, list: string): Promise<Result> {
  // -f: stop at the first pair found; -V: one line per attempt; -I: no wait for an old restore file
  const { seconds, value } = await timed(() => run("hydra", ["-C", list, "-f", "-V", "-I", "-s", String(s.port), ...s.hydra.slice(0, 2), ADDRESS, ...s.hydra.slice(2)], {
    cwd: dir, maxBuffer: 1 << 24,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" })));
  const attempts = (value.stdout.match(/^\[ATTEMPT\]/gm) ?? []).length;
  const hit = /login: (\S*)\s+password: (.*)$/m.exec(value.stdout);
  return { seconds, attempts, ...(hit ? { found: `${hit[1]}:${hit[2]!.trim()}` } : {}) };
}

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const rounds = Number(argument("--rounds") ?? 1);
  const wrong = Number(argument("--wrong") ?? 47);
  const services = SERVICES.filter((s) => !argument("--service") || s.id === argument("--service"));
  await labAddresses([ADDRESS]);
  await run("npm", ["run", "build"], { cwd: ROOT });
  const dir = mkdtempSync(join(tmpdir(), "iotcert-bench-creds-"));
  const widths = [8, 10, 8, 9, 8, 8, 8, 11, 12, 0];
  const print = (cells: string[]) => console.log(cells.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  print(["service", "iotcert s", "logins s", "attempts", "hydra s", "attempts", "per s", "ratio run", "ratio logins", "found (iotcert | hydra)"]);
  for (const s of services) {
    const user = s.working.split(":")[0]!;
    const list = join(dir, `${s.id}.txt`);
    // Wrong pairs first, the working one last: both tools must go through the whole list
    const pairs = Array.from({ length: wrong }, (_, i) => `${user}:wrong-${i}-${s.id}`);
    writeFileSync(list, [...pairs, s.working, ""].join("\n"));
    for (let r = 0; r < rounds; r++) {
      const ours = await iotcert(dir, s, list);
      const theirs = await hydra(dir, s, list);
      const perAttempt = (seconds: number, x: Result) => seconds / Math.max(1, x.attempts);
      const hydraPer = perAttempt(theirs.seconds, theirs);
      print([
        s.id,
        ours.seconds.toFixed(2), ours.loginSeconds?.toFixed(2) ?? "?", String(ours.attempts),
        theirs.seconds.toFixed(2), String(theirs.attempts), (theirs.attempts / theirs.seconds).toFixed(1),
        (perAttempt(ours.seconds, ours) / hydraPer).toFixed(2),
        ours.loginSeconds !== undefined ? (perAttempt(ours.loginSeconds, ours) / hydraPer).toFixed(2) : "?",
        `${ours.found ?? "none"} | ${theirs.found ?? "none"}`,
      ]);
    }
  }
}

await main();
