// Signed reports: `iotcert sign` and `iotcert verify` with real Ed25519 keys; a signed report
// verifies, every one-byte edit of it fails, and so does a report signed by another lab's key.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../harness/cli/main.js";
import { publicKeyFrom, verifyReport, type ReportSignature } from "../reports/signature.js";
import { capture } from "./helpers/capture.js";
import { sampleReport } from "./helpers/sample-report.js";

const tmp = mkdtempSync(join(tmpdir(), "iotcert-sign-"));

async function iotcert(...argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(argv, { out, err });
  return { code, out: out.text(), err: err.text() };
}

function labKeys(name: string): { key: string; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const key = join(tmp, `${name}.pem`);
  const pub = join(tmp, `${name}.pub`);
  writeFileSync(key, privateKey.export({ type: "pkcs8", format: "pem" }));
  writeFileSync(pub, publicKey.export({ type: "spki", format: "pem" }));
  return { key, pub };
}

const lab = labKeys("lab");
const report = join(tmp, "report.json");
// The sample's hostile strings, less the lone surrogate: a report iotcert writes never has one
// (device bytes are decoded as UTF-8), and RFC 8785 has no form for it (tested below).
const clean = sampleReport();
clean.findings = clean.findings.map((f) => ({ ...f, title: f.title.replace(/[\ud800-\udfff]/g, "?") }));
const text = `${JSON.stringify(clean, null, 2)}\n`;
writeFileSync(report, text);

describe("iotcert sign and verify", () => {
  it("signs a report and verifies it with the lab's public key", async () => {
    const signed = await iotcert("sign", report, "--key", lab.key);
    expect(signed.err).toBe("");
    expect(signed.code).toBe(0);
    expect(signed.out).toContain(`${report}.sig`);
    const signature = JSON.parse(readFileSync(`${report}.sig`, "utf8")) as ReportSignature;
    expect(signature).toMatchObject({ algorithm: "Ed25519", canonicalization: "RFC 8785", keyId: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const verified = await iotcert("verify", report, "--pub", lab.pub);
    expect(verified.err).toBe("");
    expect(verified.code).toBe(0);
    expect(verified.out).toContain("signature valid");
  });

  it("fails verify after any one-byte edit of the signed file", async () => {
    await iotcert("sign", report, "--key", lab.key);
    const signature = JSON.parse(readFileSync(`${report}.sig`, "utf8")) as ReportSignature;
    const pub = publicKeyFrom(readFileSync(lab.pub));
    // Every byte of the file, replaced by another printable byte
    const bytes = Buffer.from(text, "utf8");
    const passed: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const edited = Buffer.from(bytes);
      edited[i] = bytes[i] === 0x78 ? 0x79 : 0x78; // "x", or "y" where there was an "x"
      if (verifyReport(edited.toString("utf8"), signature, pub).valid) passed.push(i);
    }
    expect(bytes.length).toBeGreaterThan(3000);
    expect(passed).toEqual([]);

    // And through the command line: the label level changed by one byte ("none" → "nonx")
    const tampered = join(tmp, "tampered.json");
    writeFileSync(tampered, text.replace('"level": "none"', '"level": "nonx"'));
    const r = await iotcert("verify", tampered, "--pub", lab.pub, "--signature", `${report}.sig`);
    expect(r.code).toBe(1);
    expect(r.err).toContain("the report was changed after it was signed");
  });

  it("still verifies a report only re-indented: the signature is over the content, not its layout", async () => {
    await iotcert("sign", report, "--key", lab.key);
    const compact = join(tmp, "compact.json");
    writeFileSync(compact, JSON.stringify(JSON.parse(text)));
    expect((await iotcert("verify", compact, "--pub", lab.pub, "--signature", `${report}.sig`)).code).toBe(0);
  });

  it("fails verify with another lab's key, and refuses a key that is not Ed25519", async () => {
    await iotcert("sign", report, "--key", lab.key);
    const other = labKeys("other");
    const r = await iotcert("verify", report, "--pub", other.pub);
    expect(r.code).toBe(1);
    expect(r.err).toContain("signed with another key");

    const rsa = join(tmp, "rsa.pem");
    writeFileSync(rsa, generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }));
    const bad = await iotcert("sign", report, "--key", rsa);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("is a rsa key, not Ed25519");

    const surrogate = join(tmp, "surrogate.json");
    writeFileSync(surrogate, JSON.stringify(sampleReport()));
    const refused = await iotcert("sign", surrogate, "--key", lab.key);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("has no RFC 8785 form");
  });

  it("refuses a private key given as --pub (PEM, encrypted PEM, JWK), without printing it", async () => {
    await iotcert("sign", report, "--key", lab.key);
    const { privateKey } = generateKeyPairSync("ed25519");
    const forms = {
      "pkcs8.pem": readFileSync(lab.key, "utf8"),
      "encrypted.pem": privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "lab secret" }).toString(),
      "key.jwk": JSON.stringify(privateKey.export({ format: "jwk" })),
    };
    for (const [name, text] of Object.entries(forms)) {
      const file = join(tmp, name);
      writeFileSync(file, text);
      const r = await iotcert("verify", report, "--pub", file);
      expect(r.code, name).toBe(2);
      expect(r.err, name).toBe(`iotcert: --pub ${file}: this is a private key, not the public one: give the public key (openssl pkey -in KEY -pubout), and keep the private key to the signer\n`);
      expect(r.out, name).toBe("");
    }
    // the public key of the same pair still verifies
    expect((await iotcert("verify", report, "--pub", lab.pub)).code).toBe(0);
  });
});
