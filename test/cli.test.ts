import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startPlug } from "../devices/simulated/plug.js";
import type { SimulatedDevice } from "../devices/simulated/device.js";
import type { Report } from "../harness/core/report.js";
import { main } from "../harness/cli/main.js";
import { PACES } from "../harness/core/pace.js";
import { packagePath } from "../harness/core/paths.js";
import { validateReport } from "../harness/schema/load.js";
import { capture } from "./helpers/capture.js";

const tmp = mkdtempSync(join(tmpdir(), "iotcert-cli-"));

async function iotcert(...argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(argv, { out, err });
  return { code, out: out.text(), err: err.text() };
}

function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;
}

function writeYaml(name: string, value: unknown): string {
  const file = join(tmp, name);
  writeFileSync(file, typeof value === "string" ? value : stringify(value));
  return file;
}

describe("iotcert validate", () => {
  it("exits 2 and names file:line:col for a misspelt key and for port 70000", async () => {
    const misspelt = writeYaml("misspelt.yaml", "id: a\nvendor: V\nmodel: M\nfirmware: '1'\nnetwork:\n  adress: 127.0.0.1\n");
    const badPort = writeYaml("port.yaml", "id: a\nvendor: V\nmodel: M\nfirmware: '1'\nnetwork:\n  address: 127.0.0.1\n  tcpPorts: [22, 70000]\n");
    const r = await iotcert("validate", misspelt, badPort);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${misspelt}:6:3`);
    expect(r.err).toContain(`${badPort}:7:18`);
  });

  it("accepts every example descriptor and shipped profile", async () => {
    const r = await iotcert("validate", "devices/examples/acme-plug.yaml", "devices/examples/acme-camera.yaml", "profiles/etsi-en-303-645.yaml");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("iotcert run", () => {
  // Loopback answers RST on every closed port: the host is there, so the run reached it and grades
  // it. An address nothing answers is not tested (test/unreached.test.ts).
  it("on an address where every port is closed: reached (RST), inconclusive verdicts, label none, no pass, no stack trace", async () => {
    const device = writeYaml("silent.yaml", { id: "silent", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.9", tcpPorts: "40000-40063" } });
    const out = join(tmp, "silent");
    const r = await iotcert("run", device, "--out", out, "--pace", "fast");
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/\n\s+at /);
    const report = readReport(out);
    expect(report.label.level).toBe("none");
    expect(report.complete).toBe(true);
    expect(report.probes.find((p) => p.check === "surface.tcp-ports")).toMatchObject({ address: "127.0.0.9", answered: true });
    expect(report.checks.length).toBeGreaterThan(0);
    expect(report.checks.filter((c) => c.verdict === "pass")).toEqual([]);
    // Only the checks that judge the descriptor's own declarations (none here) may fail without the device
    const declarationChecks = ["lifecycle.support-period", "disclosure.security-txt"];
    expect(report.checks.filter((c) => !declarationChecks.includes(c.id)).every((c) => c.verdict === "inconclusive" || c.verdict === "not-applicable")).toBe(true);
    expect(report.checks.filter((c) => declarationChecks.includes(c.id)).map((c) => c.verdict)).toEqual(["fail", "fail"]);
    expect(report.checks.filter((c) => c.id.startsWith("surface.")).every((c) => c.verdict === "inconclusive")).toBe(true);
    expect(validateReport(report)).toEqual([]);
    for (const f of ["report.html", "label.svg", "run.log"]) expect(existsSync(join(out, f))).toBe(true);
  });

  it("--dry-run lists the probes and sends nothing", async () => {
    let connections = 0;
    const server = createServer((s) => { connections++; s.end(); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const device = writeYaml("dry.yaml", { id: "dry", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1", tcpPorts: [port] } });
    const r = await iotcert("run", device, "--dry-run", "--out", join(tmp, "dry"));
    server.close();
    expect(r.code).toBe(0);
    expect(r.out).toContain("surface.tcp-ports");
    expect(r.out).toContain("credentials.default-passwords");
    expect(r.out).toContain(String(port));
    expect(connections).toBe(0);
    expect(existsSync(join(tmp, "dry", "report.json"))).toBe(false);
  });

  it("a bad descriptor stops the run with exit 2 before anything is sent", async () => {
    const device = writeYaml("typo.yaml", "id: a\nvendor: V\nmodel: M\nfirmware: '1'\nnetwork: { address: 127.0.0.1 }\ndeclard: {}\n");
    const r = await iotcert("run", device, "--out", join(tmp, "typo"));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${device}:6:1`);
    expect(existsSync(join(tmp, "typo"))).toBe(false);
  });

  describe("against the simulated plug", () => {
    let plug: SimulatedDevice;
    let descriptorFile: string;
    beforeAll(async () => {
      plug = await startPlug();
      descriptorFile = writeYaml("plug.yaml", plug.descriptor);
    });
    afterAll(() => plug.stop());

    it("Ctrl-C writes the report so far, marked incomplete, and exits 3", async () => {
      const out = join(tmp, "interrupted");
      const pending = iotcert("run", descriptorFile, "--out", out, "--pace", "gentle");
      await sleep(400);
      process.emit("SIGINT");
      const r = await pending;
      expect(r.code).toBe(3);
      const report = readReport(out);
      expect(report.complete).toBe(false);
      expect(report.incompleteReason).toMatch(/interrupted/);
      expect(report.label.level).toBe("none");
      expect(validateReport(report)).toEqual([]);
      expect(readFileSync(join(out, "run.log"), "utf8")).toContain("run finished");
    });

    it("--redact hides the passwords found, in every report file", async () => {
      const out = join(tmp, "redacted");
      const r = await iotcert("run", descriptorFile, "--out", out, "--pace", "fast", "--only", "credentials.*", "--redact");
      expect(r.code).toBe(0);
      const report = readReport(out);
      expect(report.redacted).toBe(true);
      const telnet = report.findings.find((f) => f.target?.service === "telnet");
      expect(telnet?.evidence).toMatchObject({ username: "root", password: "[redacted]" });
      for (const f of ["report.json", "report.html", "label.svg"]) expect(readFileSync(join(out, f), "utf8")).not.toContain("xc3511");
    });

    it("--credentials tries the user's list before the built-in ones, and a malformed line is bad input", async () => {
      const list = join(tmp, "mine.txt");
      writeFileSync(list, "# from the plug's manual\nroot:not-this-one\nroot:xc3511\n");
      const out = join(tmp, "own-list");
      const r = await iotcert("run", descriptorFile, "--out", out, "--pace", "fast", "--only", "credentials.*", "--credentials", list);
      expect(r.code).toBe(0);
      const telnet = readReport(out).findings.find((f) => f.target?.service === "telnet");
      expect(telnet?.evidence).toMatchObject({ username: "root", password: "xc3511", source: "user", attemptsBeforeSuccess: 1 });

      writeFileSync(list, "root:a\nroot\n");
      const bad = await iotcert("run", descriptorFile, "--out", join(tmp, "bad-list"), "--credentials", list);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(`${list}:2: expected user:password`);
      expect(existsSync(join(tmp, "bad-list"))).toBe(false);
    });

    it("the report records what a second lab needs to repeat the run: hashes, runtime, pace, options, probe times", async () => {
      const out = join(tmp, "audit");
      const profile = writeYaml("stricter.yaml", 'id: stricter\ntitle: Stricter\nextends: etsi-en-303-645\noverrides:\n  "5.6-1": { level: low }\n');
      const r = await iotcert("run", descriptorFile, "--out", out, "--pace", "fast", "--only", "surface.*", "--profile", profile);
      expect(r.code).toBe(0);
      const report = readReport(out);
      expect(validateReport(report)).toEqual([]);
      const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
      expect(report.audit.descriptor).toEqual({ path: descriptorFile, sha256: sha(descriptorFile), hashOf: "file" });
      const shipped = packagePath("profiles", "etsi-en-303-645.yaml");
      expect(report.audit.profile).toEqual([
        { path: profile, sha256: sha(profile), hashOf: "file" },
        { path: shipped, sha256: sha(shipped), hashOf: "file" },
      ]);
      expect(report.audit.pace).toEqual(PACES.fast);
      expect(report.audit.options).toEqual({ allowFragile: false, stateChanging: false, only: ["surface.*"] });
      expect(report.audit.node).toBe(process.version);
      // Every probe line has its first and last time, inside the run
      const scan = report.probes.find((p) => p.check === "surface.tcp-ports");
      expect(scan?.count).toBeGreaterThanOrEqual(100);
      for (const p of report.probes) {
        expect(Date.parse(p.firstAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
        expect(Date.parse(p.lastAt)).toBeGreaterThanOrEqual(Date.parse(p.firstAt));
        expect(Date.parse(p.lastAt)).toBeLessThanOrEqual(Date.parse(report.finishedAt));
      }
      // The override moved 5.6-1 to low: the undeclared debug port now holds the plug at none by it too
      expect(report.label.level).toBe("none");
      expect(report.label.heldBy).toContain("5.6-1");
    });

    it("--require low exits 1 on the plug, whose label is none", async () => {
      const out = join(tmp, "required");
      const r = await iotcert("run", descriptorFile, "--out", out, "--pace", "fast", "--require", "low");
      expect(r.code).toBe(1);
      expect(readReport(out).label.level).toBe("none");
    });
  });
});
