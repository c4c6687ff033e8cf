// MUD signatures made by the openssl command line (detached CMS, DER), verified with pkijs against
// a test CA: a signed file verifies; a changed file, a signer from another CA, a signer other than
// the one the device certificate names, and junk are each told apart.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Certificate, RelativeDistinguishedNames, AttributeTypeAndValue } from "pkijs";
import { PrintableString } from "asn1js";
import { afterAll, describe, expect, it } from "vitest";
import { trustAnchorsIn, verifyMudSignature } from "../harness/mud/signature.js";
import { certificateMud, certificatesInFile } from "../harness/mud/url.js";
import { runMud } from "./fixtures/mud/cli.js";
import { TestPki } from "./fixtures/mud/pki.js";

const FIXTURE = join(import.meta.dirname, "fixtures", "mud", "osmud-lightbulb2000.json");
const content = readFileSync(FIXTURE);
const pki = new TestPki();
afterAll(() => pki.dispose());
const anchors = () => trustAnchorsIn(Buffer.from(pki.pem("ca")));

describe("verifyMudSignature", () => {
  it("verifies an OpenSSL signature chained to the lab's trust anchor and names the signer", async () => {
    const result = await verifyMudSignature(content, pki.sign(content), { trustAnchors: anchors() });
    expect(result.status).toBe("verified");
    expect(result.signer).toMatchObject({ subject: "CN=MUD signer, O=Example Lighting", issuer: "CN=Test MUD CA" });
  });

  it("finds a file changed after signing tampered, even by one byte", async () => {
    const signature = pki.sign(content);
    const changed = Buffer.from(content);
    changed[changed.indexOf("443")] = "8".charCodeAt(0);
    const result = await verifyMudSignature(changed, signature, { trustAnchors: anchors() });
    expect(result.status).toBe("tampered");
    expect(result.detail).toMatch(/does not match the file/);
  });

  it("finds a sound signature by another CA's signer untrusted", async () => {
    const result = await verifyMudSignature(content, pki.sign(content, "rogue-signer", "rogue-ca"), { trustAnchors: anchors() });
    expect(result.status).toBe("untrusted");
    expect(result.signer?.issuer).toBe("CN=Rogue CA");
  });

  it("says only intact when the lab gave no trust anchor", async () => {
    const result = await verifyMudSignature(content, pki.sign(content), { trustAnchors: [] });
    expect(result.status).toBe("intact");
  });

  it("finds junk malformed", async () => {
    expect((await verifyMudSignature(content, Buffer.from("not a signature"), { trustAnchors: anchors() })).status).toBe("malformed");
    expect((await verifyMudSignature(content, Buffer.alloc(0), { trustAnchors: anchors() })).status).toBe("malformed");
  });

  it("refuses a signer other than the one the device certificate's id-pe-mudsigner names", async () => {
    // A Name (CN=Someone Else) in DER, put into the device certificate with openssl's DER: form
    const name = new RelativeDistinguishedNames({
      typesAndValues: [new AttributeTypeAndValue({ type: "2.5.4.3", value: new PrintableString({ value: "Someone Else" }) })],
    });
    const hex = Buffer.from(name.toSchema().toBER()).toString("hex");
    const pem = pki.deviceCertificate("device-signer", `1.3.6.1.5.5.7.1.30=DER:${hex}`);
    const expected = certificateMud(certificatesInFile(readFileSync(pem))[0]!).signer!;
    const result = await verifyMudSignature(content, pki.sign(content), { trustAnchors: anchors(), expectedSigner: expected });
    expect(result.status).toBe("wrong-signer");
    expect(result.detail).toBe("signed by CN=MUD signer, O=Example Lighting, but the device certificate names CN=Someone Else as MUD signer");

    // and accepts the signer it names
    const signerName = Certificate.fromBER(certificatesInFile(Buffer.from(pki.pem("signer")))[0]!).subject;
    expect((await verifyMudSignature(content, pki.sign(content), { trustAnchors: anchors(), expectedSigner: signerName })).status).toBe("verified");
  });
});

describe("iotcert mud validate --signature --trust", () => {
  const files = (signature: Buffer, mud = content) => {
    const file = pki.path("mud.json");
    const sig = pki.path("mud.p7s");
    writeFileSync(file, mud);
    writeFileSync(sig, signature);
    return { file, sig };
  };

  it("exits 0 and names the signer when the signature verifies", async () => {
    const { file, sig } = files(pki.sign(content));
    const r = await runMud("validate", file, "--signature", sig, "--trust", pki.path("ca.pem"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("note: signature verified: signed by CN=MUD signer, O=Example Lighting, chained to a trust anchor");
  });

  it("exits 1 for a tampered file and for an untrusted signer, saying which", async () => {
    const changed = Buffer.from(content.toString().replace("lightbulb2000", "lightbulb2001"));
    const tampered = files(pki.sign(content), changed);
    const r1 = await runMud("validate", tampered.file, "--signature", tampered.sig, "--trust", pki.path("ca.pem"));
    expect(r1.code).toBe(1);
    expect(r1.out).toMatch(/signature tampered: the signature does not match the file/);

    const rogue = files(pki.sign(content, "rogue-signer", "rogue-ca"));
    const r2 = await runMud("validate", rogue.file, "--signature", rogue.sig, "--trust", pki.path("ca.pem"));
    expect(r2.code).toBe(1);
    expect(r2.out).toMatch(/signature untrusted: the signer does not chain to a trust anchor/);
  });

  it("exits 1 for a signer certificate whose keyUsage lacks digitalSignature, even chained to the trust anchor", async () => {
    const { file, sig } = files(pki.sign(content, "agreement-signer"));
    const r = await runMud("validate", file, "--signature", sig, "--trust", pki.path("ca.pem"));
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${file}: signature wrong-key-usage: the signer certificate's keyUsage does not include digitalSignature: its key may not sign a MUD file (RFC 5280 §4.2.1.3)\n`);
    // without a keyUsage extension the key is not limited, and the same chain verifies
    const unlimited = files(pki.sign(content, "unlimited-signer"));
    expect((await runMud("validate", unlimited.file, "--signature", unlimited.sig, "--trust", pki.path("ca.pem"))).code).toBe(0);
  });

  it("exits 1 when trust anchors are given but the file is not signed", async () => {
    const r = await runMud("validate", FIXTURE, "--trust", pki.path("ca.pem"));
    expect(r.code).toBe(1);
    expect(r.out).toContain("signature unsigned");
  });

  it("exits 2 for a trust anchor file that holds no certificate", async () => {
    writeFileSync(pki.path("bad.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    const r = await runMud("validate", FIXTURE, "--trust", pki.path("bad.pem"));
    expect(r.code).toBe(2);
    expect(r.err).toContain("holds no CERTIFICATE block");
  });
});
