// iotcert attest, driven through standard input as a lab engineer would answer on a terminal:
// one question per documentary provision, answers kept in the descriptor (comments intact) or in
// a separate file that `iotcert run --attestations` reads.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../harness/cli/main.js";
import { resolveProfile } from "../harness/cli/profiles-source.js";
import type { Report } from "../harness/core/report.js";
import { loadAttestationFile, loadDescriptor } from "../harness/schema/load.js";
import { capture } from "./helpers/capture.js";

const tmp = mkdtempSync(join(tmpdir(), "iotcert-attest-"));

const DESCRIPTOR = `# Nordlys T2 unit 7, as the manufacturer declared it
id: nordlys-t2-unit7
vendor: Nordlys
model: Thermostat T2
firmware: "2.4.0"
network: { address: 127.0.0.1, tcpPorts: [9] }   # nothing listens: the run only grades attestations
attestations:
  "5.2-1": { verdict: fail, note: "no policy found at first review" }
`;

const PROFILE = `id: tiny-documentary
title: Three documentary provisions
levels: [low, high]
provisions:
  - { id: "5.2-1", title: A vulnerability disclosure policy is published, level: low, attestation: true }
  - { id: "5.3-13", title: The support period is published, level: low, attestation: true }
  - { id: "5.11-1", title: User data can be erased, level: high, attestation: true }
`;

/** Runs iotcert with `answers` typed line by line on its standard input. */
async function attest(argv: string[], answers: string[]) {
  const input = new PassThrough();
  const out = capture();
  const err = capture();
  const running = main(argv, { out, err, in: input });
  for (const line of answers) input.write(`${line}\n`);
  input.end();
  const code = await running;
  return { code, out: out.text(), err: err.text() };
}

describe("iotcert attest", () => {
  const profile = join(tmp, "tiny.yaml");
  writeFileSync(profile, PROFILE);

  it("asks one question per documentary provision and stores the answers in the descriptor", async () => {
    const device = join(tmp, "unit7.yaml");
    writeFileSync(device, DESCRIPTOR);
    const r = await attest(["attest", device, "--profile", profile, "--by", "J. Lab"], [
      "p", "security.txt and policy page reviewed",   // 5.2-1: changes the earlier fail
      "maybe", "f", "support period not on the box",   // 5.3-13: a bad answer is asked again
      "",                                              // 5.11-1: skipped
    ]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("[1/3] 5.2-1 (low) A vulnerability disclosure policy is published\n  now: fail (no policy found at first review)");
    expect(r.out).toContain('"maybe" is not p, f or n');
    expect(r.out).toContain("[3/3] 5.11-1 (high) User data can be erased");
    expect(r.out).toContain(`2 attestations saved in ${device}`);

    const saved = await loadDescriptor(device);
    expect(saved.attestations).toEqual({
      "5.2-1": { verdict: "pass", note: "security.txt and policy page reviewed", by: "J. Lab" },
      "5.3-13": { verdict: "fail", note: "support period not on the box", by: "J. Lab" },
    });
    const text = readFileSync(device, "utf8");
    expect(text).toContain("# Nordlys T2 unit 7, as the manufacturer declared it");
    expect(text).toContain("# nothing listens: the run only grades attestations");
  });

  it("keeps answers in a separate file that run --attestations grades with", async () => {
    const device = join(tmp, "unit7-separate.yaml");
    writeFileSync(device, DESCRIPTOR);
    const file = join(tmp, "unit7-attestations.yaml");
    const r = await attest(["attest", device, "--profile", profile, "--file", file], ["p", "policy reviewed", "p", "", "n", "stores no user data"]);
    expect(r.code).toBe(0);
    expect(readFileSync(device, "utf8")).toBe(DESCRIPTOR);
    expect(await loadAttestationFile(file, "nordlys-t2-unit7")).toEqual({
      "5.2-1": { verdict: "pass", note: "policy reviewed" },
      "5.3-13": { verdict: "pass" },
      "5.11-1": { verdict: "not-applicable", note: "stores no user data" },
    });

    // The run reads them: every provision met, so the top label; without them the descriptor's fail holds it at none
    const out = join(tmp, "run");
    const o = capture();
    const e = capture();
    expect(await main(["run", device, "--profile", profile, "--attestations", file, "--out", out], { out: o, err: e })).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report;
    expect(report.label.level).toBe("high");
    expect(report.audit.attestations).toMatchObject({ path: file, hashOf: "file" });
    const without = join(tmp, "run-without");
    await main(["run", device, "--profile", profile, "--out", without], { out: capture(), err: capture() });
    expect((JSON.parse(readFileSync(join(without, "report.json"), "utf8")) as Report).label).toMatchObject({ level: "none", heldBy: ["5.2-1", "5.3-13"] });
  });

  it("refuses an attestation file about another device", async () => {
    const device = join(tmp, "unit7-other.yaml");
    writeFileSync(device, DESCRIPTOR);
    const file = join(tmp, "other.yaml");
    writeFileSync(file, 'device: someone-else\nattestations:\n  "5.2-1": { verdict: pass }\n');
    const r = await attest(["run", device, "--profile", profile, "--attestations", file, "--out", join(tmp, "x")], []);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:1:9: device: these attestations are for "someone-else", not for "nordlys-t2-unit7"`);
  });

  it("walks every documentary provision of the shipped ETSI profile", async () => {
    const device = join(tmp, "unit7-etsi.yaml");
    writeFileSync(device, DESCRIPTOR);
    const etsi = await resolveProfile("etsi-en-303-645");
    const documentary = etsi.provisions.filter((p) => p.attestation);
    const r = await attest(["attest", device], documentary.map(() => ""));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${documentary.length} documentary provisions of etsi-en-303-645`);
    expect(r.out).toContain(`[${documentary.length}/${documentary.length}] ${documentary.at(-1)!.id}`);
    expect(r.out).toContain("nothing changed");
  });
});
