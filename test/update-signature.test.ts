// update.signature against an HTTPS update server on loopback, with keys and signatures made by the
// openssl command line (Ed25519 raw, ECDSA DER and base64, CMS) and SUIT envelopes built here with
// cbor2 and signed with node:crypto (COSE_Sign1, ES256).
import { createHash, createPrivateKey, sign } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { encode, Tag } from "cbor2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { updateSignature } from "../harness/checks/update/signature.js";
import { Pace } from "../harness/core/pace.js";
import type { DeclaredUpdate, Profile } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { openssl, TestPki } from "./fixtures/mud/pki.js";

const pki = new TestPki();
const file = (name: string) => pki.path(name);
openssl(["genpkey", "-algorithm", "ed25519", "-out", file("ed.key")]);
openssl(["pkey", "-in", file("ed.key"), "-pubout", "-out", file("ed.pub")]);
openssl(["genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file("ec.key")]);
openssl(["pkey", "-in", file("ec.key"), "-pubout", "-out", file("ec.pub")]);
openssl(["genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file("other.key")]);

const IMAGE = Buffer.concat([Buffer.from("hsqs"), Buffer.alloc(200_000, 0x5a), Buffer.from("firmware 1.0.4")]);
writeFileSync(file("image.bin"), IMAGE);
const tampered = Buffer.from(IMAGE);
tampered.writeUInt8(tampered.readUInt8(100_000) ^ 0x01, 100_000);

function opensslSignature(args: string[]): Buffer {
  openssl([...args, "-out", file("image.sig"), ...(args[0] === "pkeyutl" ? ["-in", file("image.bin")] : [file("image.bin")])]);
  return readFileSync(file("image.sig"));
}
const edRaw = opensslSignature(["pkeyutl", "-sign", "-rawin", "-inkey", file("ed.key")]);
const ecDer = opensslSignature(["dgst", "-sha256", "-sign", file("ec.key")]);
const ecRaw = sign("sha256", IMAGE, { key: createPrivateKey(readFileSync(file("ec.key"))), dsaEncoding: "ieee-p1363" });
const pub = (name: string) => readFileSync(file(`${name}.pub`), "utf8");

let server: Server;
let base: string;
let routes: Record<string, Buffer> = {};
beforeAll(async () => {
  server = createServer({ key: pki.key("server"), cert: pki.pem("server") }, (req, res) => {
    const body = routes[req.url ?? ""];
    if (body) res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  pki.dispose();
});

const requireSigned: Profile = { id: "p", title: "p", levels: ["low"], provisions: [], parameters: { requireSignedUpdates: true } };

async function check(files: Record<string, Buffer>, update: Partial<DeclaredUpdate>, profile?: Profile) {
  routes = files;
  const ctx = makeContext({ device: { id: "d", vendor: "v", model: "m", firmware: "1", declared: { update: { firmwareUrl: `${base}/fw.bin`, ...update } } }, pace: Pace.named("fast", { connectTimeoutMs: 2000 }) });
  return updateSignature.run(profile ? { ...ctx, profile } : ctx);
}
const detached = (img: Buffer, sig: Buffer) => ({ "/fw.bin": img, "/fw.bin.sig": sig });
const sigUrl = () => ({ signatureUrl: `${base}/fw.bin.sig` });

describe("update.signature, detached signatures", () => {
  it.each([
    ["Ed25519, raw (openssl pkeyutl)", () => edRaw, "ed", "ed25519"],
    ["ECDSA P-256, DER (openssl dgst)", () => ecDer, "ec", "ecdsa-p256-sha256 (der)"],
    ["ECDSA P-256, raw r||s", () => ecRaw, "ec", "ecdsa-p256-sha256 (raw)"],
    ["ECDSA P-256, DER as base64 text", () => Buffer.from(`${ecDer.toString("base64")}\n`), "ec", "ecdsa-p256-sha256 (der)"],
    ["Ed25519 in PEM armour", () => Buffer.from(`-----BEGIN SIGNATURE-----\n${edRaw.toString("base64")}\n-----END SIGNATURE-----\n`), "ed", "ed25519"],
  ])("passes %s over the image, and fails the same signature over a tampered image", async (_name, signature, key, format) => {
    const good = await check(detached(IMAGE, signature()), { ...sigUrl(), publicKey: pub(key) });
    expect(good).toMatchObject({ verdict: "pass", evidence: { signature: "verified", format } });
    const bad = await check(detached(tampered, signature()), { ...sigUrl(), publicKey: pub(key) });
    expect(bad.verdict).toBe("fail");
    expect(bad.findings?.map((f) => f.severity)).toEqual(["high"]);
    expect(bad.findings?.[0]?.title).toMatch(/^the update signature is tampered/);
  });

  it("fails a signature by another key than the declared one", async () => {
    const other = sign("sha256", IMAGE, createPrivateKey(readFileSync(file("other.key"))));
    expect((await check(detached(IMAGE, other), { ...sigUrl(), publicKey: pub("ec") })).verdict).toBe("fail");
  });

  it("verifies a CMS signature chained to the declared trust anchor; fails a tampered image and an untrusted signer", async () => {
    const cms = pki.sign(IMAGE);
    const anchor = { ...sigUrl(), trustAnchor: pki.pem("ca") };
    expect(await check(detached(IMAGE, cms), anchor)).toMatchObject({ verdict: "pass", evidence: { format: "cms" } });
    expect((await check(detached(tampered, cms), anchor)).findings?.[0]?.title).toMatch(/^the update signature is tampered/);
    expect((await check(detached(IMAGE, pki.sign(IMAGE, "rogue-signer", "rogue-ca")), anchor)).findings?.[0]?.title).toMatch(/^the update signature is untrusted/);
  });

  it("an unsigned update fails when the profile requires signing, and is inconclusive otherwise", async () => {
    const required = await check({ "/fw.bin": IMAGE }, { publicKey: pub("ed") }, requireSigned);
    expect(required).toMatchObject({ verdict: "fail" });
    expect(required.findings?.map((f) => f.title)).toEqual(["the update is not signed"]);
    expect((await check({ "/fw.bin": IMAGE }, { publicKey: pub("ed") })).verdict).toBe("inconclusive");
    // A declared signature URL that answers 404 is no signature either
    expect((await check({ "/fw.bin": IMAGE }, { ...sigUrl(), publicKey: pub("ed") }, requireSigned)).verdict).toBe("fail");
  });

  it("is inconclusive without a declared key", async () => {
    const outcome = await check(detached(IMAGE, edRaw), sigUrl());
    expect(outcome).toMatchObject({ verdict: "inconclusive", summary: "no public key is declared (declared.update.publicKey)" });
  });
});

/** cbor2 encodes a Node Buffer as its JSON form; CBOR byte strings come from plain Uint8Arrays. */
const u8 = (b: Buffer) => new Uint8Array(b);

/** A SUIT envelope: manifest with sequence number and image digest, authenticated by a COSE_Sign1 (ES256) over the manifest digest. */
function suitEnvelope(opts: { image: Buffer; sequence: number; key?: string; alterManifest?: boolean }): Buffer {
  const imageDigest = encode([-16, u8(createHash("sha256").update(opts.image).digest())]);
  const shared = encode([20, new Map<number, unknown>([[3, imageDigest], [14, opts.image.length]])]);
  const common = encode(new Map<number, unknown>([[2, [[new Uint8Array([0])]]], [4, shared]]));
  const manifest = encode(new Map<number, unknown>([[1, 1], [2, opts.sequence], [3, common]]));
  const digest = encode([-16, u8(createHash("sha256").update(manifest).digest())]);
  const protectedHeader = encode(new Map([[1, -7]]));
  const toBeSigned = encode(["Signature1", protectedHeader, new Uint8Array(0), digest]);
  const signature = sign("sha256", toBeSigned, { key: createPrivateKey(readFileSync(file(opts.key ?? "ec.key"))), dsaEncoding: "ieee-p1363" });
  const sign1 = new Tag(18, [protectedHeader, new Map(), null, u8(signature)]);
  const auth = encode([digest, encode(sign1)]);
  const sentManifest = opts.alterManifest ? encode(new Map<number, unknown>([[1, 1], [2, opts.sequence + 1], [3, common]])) : manifest;
  return Buffer.from(encode(new Tag(107, new Map<number, unknown>([[2, auth], [3, sentManifest]]))));
}

describe("update.signature, SUIT manifests", () => {
  const suit = (envelope: Buffer, img = IMAGE) => check({ "/manifest.suit": envelope, "/fw.bin": img }, { manifestUrl: `${base}/manifest.suit`, publicKey: pub("ec") });

  it("passes a signed envelope whose image matches its digest, reporting the sequence number", async () => {
    const outcome = await suit(suitEnvelope({ image: IMAGE, sequence: 7 }));
    expect(outcome).toMatchObject({ verdict: "pass", summary: "SUIT manifest signed (ES256) with the declared key; the image matches its digest", evidence: { format: "suit", sequenceNumber: 7 } });
  });

  it("fails a manifest changed after signing, a signature by another key, and an image that does not match", async () => {
    expect((await suit(suitEnvelope({ image: IMAGE, sequence: 7, alterManifest: true }))).summary).toBe("SUIT manifest tampered: the manifest does not match the digest its signature covers");
    expect((await suit(suitEnvelope({ image: IMAGE, sequence: 7, key: "other.key" }))).summary).toMatch(/^SUIT manifest tampered: no COSE_Sign1 signature \(ES256\) verifies/);
    expect((await suit(suitEnvelope({ image: IMAGE, sequence: 7 }), tampered)).findings?.map((f) => f.title)).toEqual(["the firmware image does not match the signed SUIT manifest's digest"]);
  });

  it("reads a truncated envelope as malformed, not as a crash", async () => {
    routes = {};
    const cut = suitEnvelope({ image: IMAGE, sequence: 1 });
    const outcome = await suit(cut.subarray(0, cut.length - 10));
    // A cut-off envelope no longer looks like SUIT: with no detached signature either, it is unsigned
    expect(outcome.verdict).toBe("inconclusive");
  });
});
