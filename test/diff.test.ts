// iotcert diff: a firmware build that adds a default password is a regression (exit 1), with the
// new finding, the provision that got worse and the label drop; the same report twice is not.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startThermostat } from "../devices/simulated/thermostat.js";
import type { SimulatedDevice } from "../devices/simulated/device.js";
import { main } from "../harness/cli/main.js";
import type { ReportDiff } from "../harness/grading/report-diff.js";
import type { Report } from "../harness/core/report.js";
import { capture } from "./helpers/capture.js";
import { sampleReport } from "./helpers/sample-report.js";

const tmp = mkdtempSync(join(tmpdir(), "iotcert-diff-"));

async function iotcert(...argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(argv, { out, err });
  return { code, out: out.text(), err: err.text() };
}

/** Certify a simulated thermostat build with the default profile; returns its report.json path. */
async function certify(name: string, device: SimulatedDevice): Promise<string> {
  const descriptor = join(tmp, `${name}.yaml`);
  writeFileSync(descriptor, stringify(device.descriptor));
  const out = join(tmp, name);
  const r = await iotcert("run", descriptor, "--out", out, "--pace", "fast");
  expect(r.err).toBe("");
  return join(out, "report.json");
}

describe("iotcert diff on two firmware builds", () => {
  let released: SimulatedDevice;
  let build: SimulatedDevice;
  let oldReport: string;
  let newReport: string;

  beforeAll(async () => {
    released = await startThermostat();
    oldReport = await certify("released", released);
    await released.stop();
    // The next build left a service login with a default password in the web UI; it runs on the
    // same address and ports, as the same device would, so only what changed differs
    const host = released.descriptor.network!.address;
    const base = Number(String(released.descriptor.network!.tcpPorts).split("-")[0]);
    build = await startThermostat({ host, portBase: base, firmware: "2.4.1", serviceAccount: { username: "root", password: "root" } });
    expect(build.descriptor.network).toEqual(released.descriptor.network);
    newReport = await certify("build", build);
  }, 120_000);
  afterAll(async () => {
    await build?.stop();
  });

  it("exits 1 and names the new default password, the worse provision and the label drop", async () => {
    const before = JSON.parse(readFileSync(oldReport, "utf8")) as Report;
    const after = JSON.parse(readFileSync(newReport, "utf8")) as Report;
    expect(before.provisions.find((p) => p.id === "5.1-1")?.verdict).toBe("pass");

    const r = await iotcert("diff", oldReport, newReport);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`label: ${before.label.level} → none (worse)`);
    expect(r.out).toMatch(/5\.1-1 pass → fail {2}\(worse\)/);
    expect(r.out).toMatch(/new findings: [1-9]\n {2}\[critical\] credentials\.default-passwords: https on port \d+ accepts a default password for "root"/);
    expect(r.out).toContain("REGRESSION: label");
    expect(after.device.firmware).toBe("2.4.1");

    const json = await iotcert("diff", oldReport, newReport, "--json");
    const diff = JSON.parse(json.out) as ReportDiff;
    expect(diff.regression).toBe(true);
    expect(diff.label).toEqual({ old: before.label.level, new: "none", change: "down" });
    expect(diff.newFindings.filter((f) => f.severity === "critical").map((f) => f.check)).toEqual(["credentials.default-passwords"]);
    expect(diff.fixedFindings.filter((f) => f.severity === "critical")).toEqual([]);
  });

  it("the other way round the password is a fixed finding and exit is 0", async () => {
    const r = await iotcert("diff", newReport, oldReport, "--json");
    const diff = JSON.parse(r.out) as ReportDiff;
    expect(diff.fixedFindings.map((f) => f.check)).toContain("credentials.default-passwords");
    expect(diff.label.change).toBe("up");
    expect(r.code).toBe(0);
  });

  it("a report against itself: nothing changed, exit 0", async () => {
    const r = await iotcert("diff", oldReport, oldReport);
    expect(r.code).toBe(0);
    expect(r.out).toContain("provisions changed: 0\nnew findings: 0\nfixed findings: 0\nno regression");
  });
});

describe("iotcert diff, bad input", () => {
  it("exits 2 on a file that is not a report and on reports against different profiles", async () => {
    const notReport = join(tmp, "not-a-report.json");
    writeFileSync(notReport, JSON.stringify({ hello: "world" }));
    const a = join(tmp, "a.json");
    const b = join(tmp, "b.json");
    writeFileSync(a, JSON.stringify(sampleReport()));
    writeFileSync(b, JSON.stringify(sampleReport({ profile: { id: "rfc-8520-mud", title: "MUD" } })));
    const r1 = await iotcert("diff", notReport, a);
    expect(r1.code).toBe(2);
    expect(r1.err).toContain("is not an iotcert report");
    const r2 = await iotcert("diff", a, b);
    expect(r2.code).toBe(2);
    expect(r2.err).toContain("different profiles");
  });

  it("exits 2 on reports of two different devices, unless told --allow-different", async () => {
    const plug = sampleReport();
    const a = join(tmp, "unit-a.json");
    const b = join(tmp, "unit-b.json");
    writeFileSync(a, JSON.stringify(plug));
    writeFileSync(b, JSON.stringify(sampleReport({ device: { ...plug.device, id: "acme-camera-unit7" } })));
    const refused = await iotcert("diff", a, b);
    expect(refused.code).toBe(2);
    expect(refused.err).toBe("iotcert: the reports are of different devices (acme-plug-unit1, acme-camera-unit7): diff two runs of one device, or pass --allow-different\n");
    expect(refused.out).toBe("");
    const told = await iotcert("diff", a, b, "--allow-different");
    expect(told.code).toBe(0);
    expect(told.out).toContain("no regression");
  });
});

describe("iotcert diff with an incomplete report", () => {
  const done = join(tmp, "complete.json");
  const cut = join(tmp, "incomplete.json");
  beforeAll(() => {
    writeFileSync(done, JSON.stringify(sampleReport()));
    writeFileSync(cut, JSON.stringify(sampleReport({ complete: false, incompleteReason: "interrupted (SIGINT)" })));
  });

  it("an incomplete new report fails the gate (exit 1) and says why, even with nothing worse in it", async () => {
    const r = await iotcert("diff", done, cut);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`${cut}: the run did not complete (interrupted (SIGINT)): what it did not reach is neither found nor fixed\n`);
    expect(r.out).toContain("INCOMPLETE: the new report did not complete, so no regression can be ruled out");
    expect(r.out).not.toContain("no regression\n");
    const json = JSON.parse((await iotcert("diff", done, cut, "--json")).out) as ReportDiff;
    expect(json.complete).toEqual({ old: true, new: false });
    expect(json.outcome).toBe("incomplete");
    expect(json.regression).toBe(false);
  });

  it("an incomplete old report is told, and does not by itself fail the gate", async () => {
    const r = await iotcert("diff", cut, done, "--json");
    expect(r.code).toBe(0);
    expect(r.err).toContain(`${cut}: the run did not complete`);
    expect((JSON.parse(r.out) as ReportDiff).outcome).toBe("no regression");
  });
});
