// A device the run never reaches is "not tested", not a certification with label NONE: `run`
// exits 3 with an incomplete report, every view says NOT TESTED, a campaign counts it as not
// complete and runs it again. Reached means the device answered anything: an address whose host
// is there but has nothing open answers RST, and is reached.
//
// The network half builds its own namespace: a veth link 198.19.254.1 ⇄ 198.19.254.2 (a host
// with nothing listening), where 198.19.254.99 is on the link but nobody holds it (ARP goes
// unanswered: no host at all). It needs root; outside CI it skips without it, under CI=true it
// fails instead. The serial half is a pty whose far end says nothing.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { main } from "../harness/cli/main.js";
import type { Report } from "../harness/core/report.js";
import { validateReport } from "../harness/schema/load.js";
import { capture } from "./helpers/capture.js";
import { needs, ptyConsolesMissing, silentConsole, type PtyConsole } from "./helpers/pty-console.js";
import { inCI } from "./lab/lab.js";

const tmp = mkdtempSync(join(tmpdir(), "iotcert-unreached-"));
const NS = `nr-${process.pid}`;
const LINK = `nr${process.pid % 100000}`;
const HOST = "198.19.254.2";
const NOBODY = "198.19.254.99";

async function iotcert(...argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(argv, { out, err });
  return { code, out: out.text(), err: err.text() };
}

function descriptor(id: string, body: Record<string, unknown>): string {
  const file = join(tmp, `${id}.yaml`);
  writeFileSync(file, stringify({ id, vendor: "V", model: "M", firmware: "1", ...body }));
  return file;
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8");
const reportIn = (dir: string) => JSON.parse(read(dir, "report.json")) as Report;

/** What a reader of every report file of an unreached device must see. */
function expectNotTested(dir: string, where: string) {
  const report = reportIn(dir);
  expect(validateReport(report)).toEqual([]);
  expect(report.complete).toBe(false);
  expect(report.incompleteReason).toMatch(new RegExp(`^the device was not reached: nothing answered at ${where.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(`));
  expect(report.label).toEqual({ level: "not-tested", heldBy: [], reason: report.incompleteReason });
  expect(report.checks.filter((c) => c.verdict === "pass")).toEqual([]);
  expect(report.probes.length).toBeGreaterThan(0);
  expect(report.probes.filter((p) => p.answered)).toEqual([]);
  const svg = read(dir, "label.svg");
  expect(svg).toContain(">NOT TESTED<");
  expect(svg).toContain("Device not reached");
  expect(svg).toContain("<title id=\"label-title\">IoT security label: NOT TESTED,");
  expect(svg).not.toContain("Tested 20");
  const html = read(dir, "report.html");
  expect(html).toContain("<strong>Not tested.</strong>");
  expect(html).not.toContain("Not certifiable");
  expect(read(dir, "junit.xml")).toContain('<property name="label" value="not-tested"/>');
  const sarif = JSON.parse(read(dir, "report.sarif")) as { runs: { invocations: { executionSuccessful: boolean; toolExecutionNotifications: { message: { text: string } }[] }[] }[] };
  expect(sarif.runs[0]!.invocations[0]).toMatchObject({ executionSuccessful: false, toolExecutionNotifications: [{ message: { text: report.incompleteReason } }] });
}

const noRoot = process.getuid?.() !== 0 ? "needs root to make a network namespace" : undefined;
if (noRoot && inCI()) throw new Error(`${noRoot} (CI=true: this test must run, not skip)`);

describe.skipIf(!!noRoot)(`a device on an address nothing answers${noRoot ? ` (skipped: ${noRoot})` : ""}`, () => {
  beforeAll(() => {
    const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
    ip("netns", "add", NS);
    ip("link", "add", LINK, "type", "veth", "peer", "name", `${LINK}p`);
    ip("link", "set", `${LINK}p`, "netns", NS);
    ip("addr", "add", "198.19.254.1/24", "dev", LINK);
    ip("link", "set", LINK, "up");
    ip("-n", NS, "addr", "add", `${HOST}/24`, "dev", `${LINK}p`);
    ip("-n", NS, "link", "set", `${LINK}p`, "up");
  });
  afterAll(() => {
    // Deleting the namespace deletes the veth pair with it.
    execFileSync("ip", ["netns", "del", NS], { stdio: "ignore" });
  });

  const network = (address: string) => ({ network: { address, tcpPorts: "1-64" } });

  it("run: not reached, incomplete, exit 3, and every report says NOT TESTED", async () => {
    const out = join(tmp, "nobody");
    const r = await iotcert("run", descriptor("nobody", network(NOBODY)), "--out", out, "--pace", "fast");
    expect(r.code).toBe(3);
    expect(r.out).toContain(`V M 1 (nobody): NOT TESTED (the device was not reached: nothing answered at ${NOBODY} (`);
    expectNotTested(out, NOBODY);
  }, 120_000);

  it("run: a host with nothing listening answers RST, so it was reached and graded (label none, exit 0)", async () => {
    const out = join(tmp, "closed");
    const r = await iotcert("run", descriptor("closed", network(HOST)), "--out", out, "--pace", "fast");
    expect(r.code).toBe(0);
    const report = reportIn(out);
    expect(report.complete).toBe(true);
    expect(report.incompleteReason).toBeUndefined();
    expect(report.label.level).toBe("none");
    expect(report.probes.find((p) => p.check === "surface.tcp-ports")).toMatchObject({ address: HOST, answered: true });
    expect(read(out, "label.svg")).not.toContain("NOT TESTED");
  }, 120_000);

  it("diff and compare do not read a report that tested nothing as a grade", async () => {
    const nobody = join(tmp, "nobody", "report.json");
    const diff = await iotcert("diff", nobody, nobody);
    expect(diff.code).toBe(1);
    expect(diff.out).toContain("the new run did not test the device: the device was not reached");
    const out = join(tmp, "compare");
    expect((await iotcert("compare", nobody, join(tmp, "closed", "report.json"), "--out", out)).code).toBe(0);
    expect(read(out, "compare.html")).toContain(">NOT TESTED</span> (incomplete)");
    expect(read(out, "compare.csv")).toMatch(/^nobody,V,M,1,etsi-en-303-645,not-tested,false,/m);
  });

  it("campaign: the unreached device is not complete, the campaign exits 3, and a rerun tries it again", async () => {
    const out = join(tmp, "campaign");
    const files = [descriptor("c-nobody", network(NOBODY)), descriptor("c-closed", network(HOST))];
    const first = await iotcert("campaign", ...files, "--out", out, "--pace", "fast");
    expect(first.code).toBe(3);
    expect(first.out).toContain("c-nobody: NOT TESTED (the device was not reached");
    expect(first.out).toContain("c-closed: label NONE\n");
    expect(first.out).toContain("campaign: 1/2 devices complete (0 from an earlier run)");
    const summary = () => JSON.parse(read(out, "campaign.json")) as { devices: { id: string; label: string; complete: boolean; skipped: boolean; reason?: string }[] };
    expect(summary().devices).toEqual([
      { id: "c-nobody", label: "not-tested", complete: false, skipped: false, reason: expect.stringMatching(/^the device was not reached/) },
      { id: "c-closed", label: "none", complete: true, skipped: false },
    ]);
    expectNotTested(join(out, "c-nobody"), NOBODY);

    const second = await iotcert("campaign", ...files, "--out", out, "--pace", "fast");
    expect(second.code).toBe(3);
    expect(second.out).toContain("c-closed: label NONE (done before, skipped)");
    expect(second.out).toContain("c-nobody: NOT TESTED (the device was not reached");
    expect(summary().devices.map((d) => [d.id, d.skipped, d.complete])).toEqual([["c-nobody", false, false], ["c-closed", true, true]]);
  }, 240_000);
});

const [ptyTitle, noPty] = needs("a device with only a serial console that says nothing", ptyConsolesMissing());

describe.skipIf(noPty)(ptyTitle, () => {
  let console: PtyConsole;
  beforeAll(async () => {
    console = await silentConsole();
  });
  afterAll(async () => {
    await console?.stop();
  });

  it("is not reached: run exits 3 and the label says NOT TESTED", async () => {
    const out = join(tmp, "serial");
    const file = descriptor("serial", { serial: { path: console.path, baudRate: 115200 } });
    const r = await iotcert("run", file, "--out", out, "--pace", "fast", "--only", "serial.*");
    expect(r.code).toBe(3);
    expect(existsSync(join(out, "report.json"))).toBe(true);
    expectNotTested(out, console.path);
  }, 120_000);
});
