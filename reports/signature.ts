// Signed reports: an Ed25519 signature over the RFC 8785 canonical form of report.json, kept in
// a detached file beside it (report.json.sig), so the report stays the document every tool reads.
// Editing any value of the report, any key, or the array order breaks the signature; so does
// anything that stops the file from being JSON. Whitespace between tokens is not content and
// does not.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { canonicalJson, sha256Hex } from "../harness/core/canonical.js";

export const SIGNATURE_FORMAT = "iotcert/signature@1";

export interface ReportSignature {
  schema: typeof SIGNATURE_FORMAT;
  algorithm: "Ed25519";
  canonicalization: "RFC 8785";
  /** sha256 of the signer's public key (SPKI DER), hex: which key to verify with. */
  keyId: string;
  /** sha256 of the canonical report, hex. */
  reportSha256: string;
  signedAt: string;
  /** base64 */
  signature: string;
}

export class KeyError extends Error {
  override readonly name = "KeyError";
}

function keyId(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: "spki", format: "der" }));
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== "ed25519") throw new KeyError(`${what} is a ${key.asymmetricKeyType ?? key.type} key, not Ed25519`);
  return key;
}

export function privateKeyFrom(pem: string | Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new KeyError(`not a private key: ${(err as Error).message}`);
  }
  return requireEd25519(key, "the private key");
}

/**
 * Whether the text holds a private key: a PEM block of any private kind (PKCS#8, encrypted,
 * RSA, EC, OpenSSH) or a JWK with its private part "d". Node derives the public key from a
 * private one without a word, so a lab that handed out its private key would never know.
 */
function isPrivateKey(text: string): boolean {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) return true;
  try {
    const jwk = JSON.parse(text) as unknown;
    return typeof jwk === "object" && jwk !== null && "d" in jwk;
  } catch {
    return false;
  }
}

export function publicKeyFrom(pem: string | Buffer): KeyObject {
  if (isPrivateKey(pem.toString())) {
    throw new KeyError("this is a private key, not the public one: give the public key (openssl pkey -in KEY -pubout), and keep the private key to the signer");
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new KeyError(`not a public key: ${(err as Error).message}`);
  }
  return requireEd25519(key, "the public key");
}

/** Signs the report's content (any JSON value) with an Ed25519 private key. */
export function signReport(report: unknown, privateKey: KeyObject, signedAt = new Date()): ReportSignature {
  const canonical = canonicalBytes(report);
  if (canonical instanceof Error) throw canonical;
  return {
    schema: SIGNATURE_FORMAT,
    algorithm: "Ed25519",
    canonicalization: "RFC 8785",
    keyId: keyId(createPublicKey(privateKey)),
    reportSha256: sha256Hex(canonical),
    signedAt: signedAt.toISOString(),
    signature: sign(null, canonical, privateKey).toString("base64"),
  };
}

export class NotCanonicalizable extends Error {
  override readonly name = "NotCanonicalizable";
}

// RFC 8785 needs valid Unicode: a lone surrogate (which JSON.parse accepts from "\ud800") has no
// canonical form.
function canonicalBytes(report: unknown): Buffer | NotCanonicalizable {
  try {
    return Buffer.from(canonicalJson(report), "utf8");
  } catch (err) {
    return new NotCanonicalizable(`the report has no RFC 8785 form: ${(err as Error).message}`);
  }
}

export type Verification = { valid: true } | { valid: false; reason: string };

/** Whether `reportText` is the report `signature` was made over, by the holder of `publicKey`. */
export function verifyReport(reportText: string, signature: ReportSignature, publicKey: KeyObject): Verification {
  if (signature.schema !== SIGNATURE_FORMAT || signature.algorithm !== "Ed25519" || signature.canonicalization !== "RFC 8785") {
    return { valid: false, reason: "the signature file is not an iotcert Ed25519/RFC 8785 signature" };
  }
  if (signature.keyId !== keyId(publicKey)) return { valid: false, reason: "signed with another key than this public key" };
  let report: unknown;
  try {
    report = JSON.parse(reportText);
  } catch (err) {
    return { valid: false, reason: `the report is not JSON any more: ${(err as Error).message}` };
  }
  const canonical = canonicalBytes(report);
  if (canonical instanceof Error) return { valid: false, reason: canonical.message };
  if (!verify(null, canonical, publicKey, Buffer.from(signature.signature, "base64"))) {
    return { valid: false, reason: "the report was changed after it was signed" };
  }
  return { valid: true };
}
