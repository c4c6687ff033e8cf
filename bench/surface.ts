// bench/surface: the full TCP port scan of iotcert against nmap's connect scan, on the lab's
// vulnerable device and on its Wi-Fi variant (20 ms ± 5 ms, 2 % loss), in one run. Prints wall
// times, the ratio iotcert / nmap, and whether the open sets agree; then the same for the whole
// surface (iotcert's surface.* against nmap -sV). Needs root and the lab's packages (.ci/run).
//
//   npx tsx bench/surface.ts [--rounds N] [--target vuln|wifi] [--scan-only]
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Report } from "../harness/core/report.js";
import { labAddresses, ROOT } from "./lab-guard.js";

const run = promisify(execFile);
const TARGETS = [
  { id: "vuln", name: "vulnerable device (bridge)", descriptor: "test/lab/devices/vuln.yaml", address: "198.18.0.10" },
  { id: "wifi", name: "Wi-Fi variant (20±5 ms, 2 % loss)", descriptor: "test/lab/devices/wifi.yaml", address: "198.18.1.10" },
];

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { seconds: (performance.now() - started) / 1000, value };
}

async function iotcert(descriptor: string, only: string): Promise<number[]> {
  const out = mkdtempSync(join(tmpdir(), "iotcert-bench-"));
  await run("node", ["bin/iotcert.js", "run", descriptor, "--only", only, "--pace", "fast", "--out", out], { cwd: ROOT, maxBuffer: 1 << 24 });
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report;
  return report.surface.tcp.map((p) => p.port);
}

async function nmap(address: string, extra: string[]): Promise<number[]> {
  const { stdout } = await run("nmap", ["-sT", "-p-", "-n", "-Pn", ...extra, "-oX", "-", address], { maxBuffer: 1 << 24 });
  return [...stdout.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="open"/g)].map((m) => Number(m[1]));
}

const same = (a: number[], b: number[]) => a.length === b.length && [...a].sort().every((p, i) => p === [...b].sort()[i]);

async function main(): Promise<void> {
  const roundsArg = process.argv.indexOf("--rounds");
  const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 1;
  const targetArg = process.argv.indexOf("--target");
  const targets = TARGETS.filter((t) => targetArg < 0 || t.id === process.argv[targetArg + 1]);
  const scanOnly = process.argv.includes("--scan-only");
  await labAddresses(targets.map((t) => t.address));
  await run("npm", ["run", "build"], { cwd: ROOT });
  const widths = [34, 24, 10, 8, 6, 0];
  const print = (cells: string[]) => console.log(cells.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  print(["target", "what", "iotcert s", "nmap s", "ratio", "open sets"]);
  for (const t of targets) {
    const kinds = [
      ["full TCP port scan", "surface.tcp-ports", []],
      ["surface + service names", "surface.*", ["-sV"]],
    ] as const;
    for (const [what, only, nmapExtra] of scanOnly ? kinds.slice(0, 1) : kinds) {
      for (let r = 0; r < rounds; r++) {
        const ours = await timed(() => iotcert(t.descriptor, only));
        const theirs = await timed(() => nmap(t.address, [...nmapExtra]));
        const agree = same(ours.value, theirs.value) ? `equal (${ours.value.length})` : `DIFFER: iotcert ${ours.value.join(",")} nmap ${theirs.value.join(",")}`;
        print([t.name, what, ours.seconds.toFixed(2), theirs.seconds.toFixed(2), (ours.seconds / theirs.seconds).toFixed(2), agree]);
      }
    }
  }
}

await main();
