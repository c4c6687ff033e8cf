// The command line as installed: bin/iotcert.js over the bundle in dist/cli (scripts/bundle.mjs),
// not the sources the other tests import. Built here first, so that it is the current code.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../harness/core/report.js";
import { PACKAGE_ROOT } from "../harness/core/paths.js";
import { validateReport } from "../harness/schema/load.js";

const run = promisify(execFile);
const iotcert = (...args: string[]) => run("node", ["bin/iotcert.js", ...args], { cwd: PACKAGE_ROOT, env: { ...process.env, NO_COLOR: "1" } });

/**
 * Start `command` as a shell starts a foreground job (its own process group), wait until the run
 * has begun (its run.log exists), then press Ctrl-C: SIGINT to the whole group, as the terminal
 * sends it. Resolves with how the command ended, and once every process of the group is gone.
 */
async function ctrlC(command: string, args: string[], opts: { cwd: string; out: string; env?: NodeJS.ProcessEnv }) {
  const child = spawn(command, args, { cwd: opts.cwd, detached: true, stdio: "ignore", env: { ...process.env, NO_COLOR: "1", ...opts.env } });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const group = child.pid!;
  const alive = () => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    for (const deadline = Date.now() + 60_000; !existsSync(join(opts.out, "run.log")); await sleep(100)) {
      if (Date.now() > deadline) throw new Error(`${command} did not start a run within 60 s`);
    }
    await sleep(1500);
    process.kill(-group, "SIGINT");
    const end = await ended;
    for (const deadline = Date.now() + 30_000; alive() && Date.now() < deadline; ) await sleep(100);
    return { ...end, groupGone: !alive() };
  } finally {
    if (alive()) process.kill(-group, "SIGKILL");
  }
}

describe("the built command line", () => {
  beforeAll(async () => {
    await run("npm", ["run", "build"], { cwd: PACKAGE_ROOT });
  }, 120_000);

  it("says its version and lists its checks", async () => {
    const { version } = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
    expect((await iotcert("--version")).stdout.trim()).toBe(version);
    const { stdout } = await iotcert("checks");
    for (const id of ["surface.tcp-ports", "credentials.default-passwords", "mud.file", "update.firmware-secrets"]) expect(stdout).toContain(id);
  });

  it("validates the shipped profiles with the validators compiled at build time", async () => {
    for (const id of ["etsi-en-303-645", "sg-cls"]) expect(existsSync(join(PACKAGE_ROOT, "dist", "cli", "profiles", `${id}.json`))).toBe(true);
    for (const schema of ["descriptor", "profile", "report", "attestations"]) expect(existsSync(join(PACKAGE_ROOT, "dist", "cli", "compiled", `${schema}.cjs`))).toBe(true);
    const profiles = ["etsi-en-303-645", "uk-psti", "en-18031-1"].map((p) => join("profiles", `${p}.yaml`));
    const { stdout } = await iotcert("validate", ...profiles);
    expect(stdout.match(/: ok \(profile/g)).toHaveLength(profiles.length);
    const bad = join(mkdtempSync(join(tmpdir(), "iotcert-built-")), "plug.yaml");
    writeFileSync(bad, "id: plug\nvendor: Acme\nmodel: P1\nfirmware: 1.0.3\ncolour: red\n");
    const refused = await iotcert("validate", bad).catch((err: { code: number; stderr: string; stdout: string }) => err);
    expect(refused).toMatchObject({ code: 2 });
    expect(`${(refused as { stdout: string }).stdout}${(refused as { stderr: string }).stderr}`).toContain('unknown key "colour"');
  });

  it("checks data files with the validators compiled at build time, and skips the files the build checked", async () => {
    const hashes = JSON.parse(readFileSync(join(PACKAGE_ROOT, "dist", "cli", "compiled", "data", "validated.json"), "utf8")) as Record<string, string>;
    const probes = readFileSync(join(PACKAGE_ROOT, "harness", "data", "udp-probes.yaml"));
    expect(hashes["udp-probes.yaml"]).toBe(createHash("sha256").update(probes).digest("hex"));
    // The compiled x-regex keyword: a pattern that does not compile, with the line it is on
    const text = probes.toString("utf8");
    const bad = join(mkdtempSync(join(tmpdir(), "iotcert-built-")), "udp-probes.yaml");
    writeFileSync(bad, text.replace("match: { regex: 'Envelope' }", "match: { regex: 'Envelope(' }"));
    const line = text.slice(0, text.indexOf("match: { regex: 'Envelope' }")).split("\n").length;
    const refused = await iotcert("validate", bad).catch((err: { code: number; stderr: string }) => err);
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toContain(`${bad}:${line}:21: probes[8].match.regex: expected a JavaScript regular expression that compiles: Unterminated group`);
  });

  it("runs the demo end to end, and draws QR codes on the labels it compares", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iotcert-built-"));
    const { stdout } = await iotcert("demo", "--out", dir);
    expect(stdout).toContain("label NONE");
    const reports = ["acme-plug-sim", "nordlys-t2-sim"].map((id) => join(dir, id, "report.json"));
    for (const file of reports) {
      const report = JSON.parse(readFileSync(file, "utf8")) as Report;
      expect(validateReport(report)).toEqual([]);
      // The profile prebuilt at build time is recorded as the YAML file it came from
      const etsi = join(PACKAGE_ROOT, "profiles", "etsi-en-303-645.yaml");
      expect(report.audit.profile).toEqual([{ path: etsi, sha256: createHash("sha256").update(readFileSync(etsi)).digest("hex"), hashOf: "file" }]);
    }

    await iotcert("compare", ...reports, "--out", join(dir, "compare"), "--report-url-base", "https://labs.example/reports");
    const label = readFileSync(join(dir, "compare", "labels", "1.svg"), "utf8");
    expect(label).toContain('href="https://labs.example/reports/');
    expect(label).toMatch(/<path transform="translate\([^"]+\) scale\([^"]+\)" d="(M\d+ \d+h1v1h-1z)+"/);
  });

  describe("Ctrl-C", () => {
    const dir = mkdtempSync(join(tmpdir(), "iotcert-ctrl-c-"));
    // A full scan of loopback at the gentle pace: minutes, so the run is under way when Ctrl-C comes.
    const device = join(dir, "loopback.yaml");
    writeFileSync(device, "id: loopback\nvendor: V\nmodel: M\nfirmware: '1'\nnetwork: { address: 127.0.0.1, tcpPorts: 1-65535 }\n");
    // A project that has iotcert installed: node_modules/.bin/iotcert, as npm install links it, for npx to find.
    const project = join(dir, "project");
    mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
    writeFileSync(join(project, "package.json"), '{ "name": "lab", "private": true }\n');
    symlinkSync(PACKAGE_ROOT, join(project, "node_modules", "iotcert"));
    symlinkSync(join("..", "iotcert", "bin", "iotcert.js"), join(project, "node_modules", ".bin", "iotcert"));

    const interrupted = (out: string) => {
      const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report;
      expect(validateReport(report)).toEqual([]);
      expect(report).toMatchObject({ complete: false, incompleteReason: "interrupted by the user (Ctrl-C)" });
    };

    it("writes the report so far and exits 3, started as iotcert", async () => {
      const out = join(dir, "direct");
      const end = await ctrlC("node", [join(PACKAGE_ROOT, "bin", "iotcert.js"), "run", device, "--out", out, "--pace", "gentle"], { cwd: project, out });
      expect(end).toEqual({ code: 3, signal: null, groupGone: true });
      interrupted(out);
    }, 120_000);

    // npx runs the bin through npm's script shell. bash execs it, so iotcert is npx's child and gets
    // the Ctrl-C twice (from the terminal, and forwarded by npm): still one interruption, exit 3.
    it("writes the report so far and exits 3, started as npx iotcert with a shell that execs it (bash)", async () => {
      const out = join(dir, "npx-bash");
      const end = await ctrlC("npx", ["iotcert", "run", device, "--out", out, "--pace", "gentle"], { cwd: project, out, env: { npm_config_script_shell: "/bin/bash" } });
      expect(end).toEqual({ code: 3, signal: null, groupGone: true });
      interrupted(out);
    }, 120_000);

    // dash (Debian's /bin/sh) waits for iotcert, which finishes as usual, then dies of the SIGINT
    // it got itself, and npm re-raises it: npx ends by SIGINT (status 130 in a shell), not exit 3.
    it("writes the report so far started as npx iotcert with /bin/sh, and ends as /bin/sh makes it", async () => {
      const out = join(dir, "npx-sh");
      const end = await ctrlC("npx", ["iotcert", "run", device, "--out", out, "--pace", "gentle"], { cwd: project, out, env: { npm_config_script_shell: "/bin/sh" } });
      const dash = realpathSync("/bin/sh").endsWith("dash");
      expect(end).toEqual(dash ? { code: null, signal: "SIGINT", groupGone: true } : { code: 3, signal: null, groupGone: true });
      interrupted(out);
    }, 120_000);
  });
});
