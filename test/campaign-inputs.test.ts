// A campaign runs each device as `iotcert run` would with the same flags: a credential list,
// attestation files, the siblings a descriptor names and trust anchors reach every device's run,
// and each report's audit record names every one of those files by hash, the same as a single
// run's. A rerun skips a device only when its report was made from the same inputs.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startPlug } from "../devices/simulated/plug.js";
import type { SimulatedDevice } from "../devices/simulated/device.js";
import { main } from "../harness/cli/main.js";
import type { Report } from "../harness/core/report.js";
import { validateReport } from "../harness/schema/load.js";
import { capture } from "./helpers/capture.js";
import { TestPki } from "./fixtures/mud/pki.js";

const tmp = mkdtempSync(join(tmpdir(), "iotcert-campaign-inputs-"));
const pki = new TestPki();

async function iotcert(...argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(argv, { out, err });
  return { code, out: out.text(), err: err.text() };
}

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const reportIn = (dir: string) => JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;
const write = (name: string, text: string) => {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
};

/** The audit without the runtime, and what the run concluded. */
function essence(report: Report) {
  const { node: _node, platform: _platform, ...inputs } = report.audit;
  return { inputs, label: report.label, verdicts: Object.fromEntries(report.checks.map((c) => [c.id, c.verdict])) };
}

describe("iotcert campaign takes every input a single run takes", () => {
  const plugs: SimulatedDevice[] = [];
  let unit1 = "";
  let unit2 = "";
  let sharedFlags: string[] = [];
  let attestations = "";
  let credentials = "";

  beforeAll(async () => {
    plugs.push(await startPlug(), await startPlug());
    const [one, two] = plugs as [SimulatedDevice, SimulatedDevice];
    unit2 = write("unit2.yaml", stringify({ ...two.descriptor, id: "plug-unit2" }));
    // Unit 1 names unit 2 as a sibling of the same model, by its descriptor file.
    unit1 = write("unit1.yaml", stringify({ ...one.descriptor, id: "plug-unit1", siblings: ["unit2.yaml"] }));
    attestations = write("unit1-attestations.yaml", stringify({ device: "plug-unit1", attestations: { "5.11-1": { verdict: "pass", note: "factory reset erases user data" } } }));
    credentials = write("ours.txt", "operator:letmein\nroot:xc3511\n");
    sharedFlags = ["--pace", "fast", "--credentials", credentials, "--mud-trust", pki.path("ca.pem"), "--update-trust", pki.path("ca.pem")];
  }, 60_000);
  afterAll(async () => {
    await Promise.all(plugs.map((p) => p.stop()));
  });

  it("gives each device the same audit inputs and verdicts as a single run, and reruns only on other inputs", async () => {
    const single1 = join(tmp, "single", "plug-unit1");
    const single2 = join(tmp, "single", "plug-unit2");
    expect((await iotcert("run", unit1, "--out", single1, "--attestations", attestations, ...sharedFlags)).code).toBe(0);
    expect((await iotcert("run", unit2, "--out", single2, ...sharedFlags)).code).toBe(0);

    const out = join(tmp, "campaign");
    const campaign = await iotcert("campaign", unit1, unit2, "--out", out, "--attestations", attestations, ...sharedFlags);
    expect(campaign.err).toBe("");
    expect(campaign.code).toBe(0);

    const [c1, c2] = [reportIn(join(out, "plug-unit1")), reportIn(join(out, "plug-unit2"))];
    for (const r of [c1, c2]) expect(validateReport(r)).toEqual([]);
    expect(essence(c1)).toEqual(essence(reportIn(single1)));
    expect(essence(c2)).toEqual(essence(reportIn(single2)));

    // Every file by its hash
    const file = (path: string) => ({ path, sha256: sha(path), hashOf: "file" });
    expect(c1.audit).toMatchObject({
      descriptor: file(unit1),
      attestations: file(attestations),
      siblings: [file(unit2)],
      credentials: file(credentials),
      mudTrust: [file(pki.path("ca.pem"))],
      updateTrust: [file(pki.path("ca.pem"))],
      output: { redact: false },
    });
    expect(c2.audit.attestations).toBeUndefined();
    expect(c2.audit.siblings).toBeUndefined();
    expect(c2.audit.credentials).toEqual(file(credentials));

    // The inputs reached the checks: the attestation's pass, the sibling compared, the user's list tried
    expect(c1.provisions.find((p) => p.id === "5.11-1")?.verdict).toBe("pass");
    expect(c2.provisions.find((p) => p.id === "5.11-1")?.verdict).not.toBe("pass");
    expect(c1.checks.find((c) => c.id === "credentials.unique-per-device")?.verdict).not.toBe("not-applicable");
    expect(c2.checks.find((c) => c.id === "credentials.unique-per-device")?.verdict).toBe("not-applicable");
    expect(c1.probes.some((p) => p.address === plugs[1]!.host && p.check === "credentials.unique-per-device")).toBe(true);

    // Same inputs: nothing runs again. Another credential list: both run again.
    const again = await iotcert("campaign", unit1, unit2, "--out", out, "--attestations", attestations, ...sharedFlags);
    expect(again.out).toContain("campaign: 2/2 devices complete (2 from an earlier run)");
    const otherList = write("other.txt", "operator:letmein\n");
    const changed = await iotcert("campaign", unit1, unit2, "--out", out, "--attestations", attestations, ...sharedFlags.slice(0, 2), "--credentials", otherList);
    expect(changed.code).toBe(0);
    expect(changed.out).toContain("campaign: 2/2 devices complete (0 from an earlier run)");
    expect(reportIn(join(out, "plug-unit1")).audit.credentials).toEqual(file(otherList));
  }, 300_000);

  it("refuses an attestation file about a device that is not in the campaign, before contacting anything", async () => {
    const stray = write("stray-attestations.yaml", stringify({ device: "someone-else", attestations: { "5.2-1": { verdict: "pass" } } }));
    const r = await iotcert("campaign", unit1, "--out", join(tmp, "stray"), "--attestations", stray);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--attestations ${stray} is about "someone-else", which is not a device of this campaign`);
  });
});
