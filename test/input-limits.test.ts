// Every file a user hands iotcert is refused at once when it is over the 4 MiB cap, before it is
// parsed (a 50 MB YAML took 523 s and 2.4 GB when parsed); a FIFO that never ends is cut at the
// cap; a YAML alias bomb is refused; a profile that names a check iotcert lacks stops a run.
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../harness/cli/main.js";
import { capture } from "./helpers/capture.js";
import { sampleReport } from "./helpers/sample-report.js";

const tmp = mkdtempSync(join(tmpdir(), "iotcert-limits-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function iotcert(...argv: string[]) {
  const out = capture();
  const err = capture();
  const started = performance.now();
  const code = await main(argv, { out, err });
  return { code, out: out.text(), err: err.text(), ms: performance.now() - started };
}

const FIFTY_MB = 50 * 1024 * 1024;

/** A 50 MB file that costs nothing to make: sparse, all zero bytes. */
function huge(name: string): string {
  const file = join(tmp, name);
  writeFileSync(file, "");
  truncateSync(file, FIFTY_MB);
  return file;
}

function write(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const DEVICE = "id: d\nvendor: V\nmodel: M\nfirmware: '1'\nnetwork: { address: 127.0.0.9, tcpPorts: '40000-40001' }\n";

describe("a 50 MB input is refused at once, with exit 2, before it is parsed", () => {
  const device = write("device.yaml", DEVICE);
  const report = write("report.json", JSON.stringify(sampleReport()));
  const pub = write("lab.pub", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n");
  const cases: { name: string; argv: (big: string) => string[] }[] = [
    { name: "validate a descriptor", argv: (big) => ["validate", big] },
    { name: "run a descriptor", argv: (big) => ["run", big, "--out", join(tmp, "out-run")] },
    { name: "run --profile", argv: (big) => ["run", device, "--profile", big, "--out", join(tmp, "out-profile")] },
    { name: "run --attestations", argv: (big) => ["run", device, "--attestations", big, "--out", join(tmp, "out-attest")] },
    { name: "run --credentials", argv: (big) => ["run", device, "--credentials", big, "--out", join(tmp, "out-cred")] },
    { name: "run --mud-trust", argv: (big) => ["run", device, "--mud-trust", big, "--out", join(tmp, "out-trust")] },
    { name: "diff", argv: (big) => ["diff", report, big] },
    { name: "compare", argv: (big) => ["compare", report, big, "--out", join(tmp, "out-compare")] },
    { name: "sign", argv: (big) => ["sign", big, "--key", pub] },
    { name: "verify a report", argv: (big) => ["verify", big, "--pub", pub] },
    { name: "verify --pub", argv: (big) => ["verify", report, "--pub", big, "--signature", report] },
    { name: "mud validate", argv: (big) => ["mud", "validate", big] },
  ];

  // What is timed is the refusal, not the first import of a command's modules.
  beforeAll(() => Promise.all([import("../harness/cli/run.js"), import("../harness/cli/compare.js"), import("../harness/cli/verify-signature.js"), import("../harness/cli/mud-commands.js")]));

  it.each(cases)("$name", async ({ name, argv }) => {
    const big = huge(`${name.replace(/\W+/g, "-")}.big`);
    const r = await iotcert(...argv(big));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${big}: 52428800 bytes, more than the 4 MiB an input may have`);
    expect(r.ms).toBeLessThan(2000);
  });

  it("a descriptor of 50 MB of real YAML text, not only a sparse file", async () => {
    const file = join(tmp, "real.yaml");
    writeFileSync(file, `${DEVICE}notes:\n${"  - padding line of a file that grew far too large\n".repeat(FIFTY_MB / 51)}`);
    const r = await iotcert("validate", file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/real\.yaml: \d+ bytes, more than the 4 MiB an input may have/);
    expect(r.ms).toBeLessThan(2000);
  });

  it("a FIFO that never ends is cut at the cap, not read to the end", async () => {
    const fifo = join(tmp, "endless.yaml");
    execFileSync("mkfifo", [fifo]);
    const writer = createWriteStream(fifo);
    writer.on("error", () => {}); // EPIPE once iotcert stops reading: the point of the test
    const line = Buffer.from("# a comment line that repeats for ever, as a misdirected pipe might\n");
    const feed = () => { while (!writer.destroyed && writer.write(line)); };
    writer.on("drain", feed);
    writer.on("open", feed);
    const r = await iotcert("validate", fifo);
    writer.destroy();
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${fifo}: more than the 4 MiB an input may have`);
    expect(r.ms).toBeLessThan(2000);
  });
});

describe("YAML alias bombs", () => {
  it("a billion laughs in a descriptor is refused quickly, not expanded", async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const file = write("bomb.yaml", `${DEVICE}${levels.join("\n")}\n`);
    const r = await iotcert("validate", file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:1:1: YAML: Excessive alias count`);
    expect(r.ms).toBeLessThan(2000);
  });
});

describe("a profile naming a check iotcert lacks", () => {
  it("stops `run --profile FILE` with exit 2 at file:line:col, before any probe", async () => {
    const device = write("unit.yaml", DEVICE);
    const profile = write(
      "typo-profile.yaml",
      "id: p\ntitle: P\nlevels: [low]\nprovisions:\n  - id: '1'\n    title: t\n    level: low\n    checks: [surface.tcp-ports, credentials.default-pasword]\n",
    );
    const r = await iotcert("run", device, "--profile", profile, "--out", join(tmp, "out-typo"));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${profile}:8:33: provisions[0].checks[1]: unknown check "credentials.default-pasword" (did you mean "credentials.default-passwords"?)\n`);
  });

  it("is reported by `iotcert validate` the same way", async () => {
    const profile = write("typo-validate.yaml", "id: p\ntitle: P\nlevels: [low]\nprovisions:\n  - { id: '1', title: t, level: low, checks: [mqtt.anonymus-access] }\n");
    const r = await iotcert("validate", profile);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${profile}:5:47: provisions[0].checks[0]: unknown check "mqtt.anonymus-access" (did you mean "mqtt.anonymous-access"?)\n`);
  });
});
