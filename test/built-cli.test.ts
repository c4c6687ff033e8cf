// The command line as installed: bin/iotcert.js over the bundle in dist/cli (scripts/bundle.mjs),
// not the sources the other tests import. Built here first, so that it is the current code.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../harness/core/report.js";
import { PACKAGE_ROOT } from "../harness/core/paths.js";
import { validateReport } from "../harness/schema/load.js";

const run = promisify(execFile);
const iotcert = (...args: string[]) => run("node", ["bin/iotcert.js", ...args], { cwd: PACKAGE_ROOT, env: { ...process.env, NO_COLOR: "1" } });

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
});
