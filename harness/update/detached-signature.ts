// Verifies a detached signature over a firmware image with the manufacturer's declared key: Ed25519
// or ECDSA (P-256/384/521), the signature raw (r||s), DER, or either as base64 text (with or without
// PEM armour), all through node:crypto; or a CMS SignedData (DER or PEM) checked against the
// declared trust anchors with the same pkijs verification as MUD signatures.
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { trustAnchorsIn, verifyMudSignature } from "../mud/signature.js";

export interface DetachedResult {
  /** verified; tampered: does not match the image; untrusted: CMS signer not under the trust anchor; malformed: unreadable; no-key: nothing declared to verify with. */
  status: "verified" | "tampered" | "untrusted" | "malformed" | "no-key";
  /** "ed25519", "ecdsa-p256-sha256 (der)", "cms", … */
  format?: string;
  detail: string;
}

const PEM_ARMOUR = /-----BEGIN ([A-Z0-9 ]{1,40})-----([\s\S]*?)-----END \1-----/;
const OID_SIGNED_DATA_DER = Buffer.from("06092a864886f70d010702", "hex");

/** Base64 text (optionally PEM-armoured) decoded; binary input as it came. */
function decodeText(sig: Buffer): { bytes: Buffer; label?: string } {
  const text = sig.toString("latin1");
  const armoured = PEM_ARMOUR.exec(text);
  if (armoured) return { bytes: Buffer.from(armoured[2]!.replace(/\s+/g, ""), "base64"), label: armoured[1]! };
  const trimmed = text.trim();
  if (trimmed.length >= 64 && /^[A-Za-z0-9+/=\s]+$/.test(trimmed)) return { bytes: Buffer.from(trimmed.replace(/\s+/g, ""), "base64") };
  return { bytes: sig };
}

/** A CMS SignedData carries its content type OID in its first bytes. */
function looksLikeCms(der: Buffer, label?: string): boolean {
  if (label === "CMS" || label === "PKCS7") return true;
  return der[0] === 0x30 && der.subarray(0, 32).includes(OID_SIGNED_DATA_DER);
}

const CURVE_BYTES: Record<string, number> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };
const CURVE_NAMES: Record<string, string> = { prime256v1: "p256", secp384r1: "p384", secp521r1: "p521" };

function verifyWithKey(image: Uint8Array, sig: Buffer, key: KeyObject): DetachedResult {
  const type = key.asymmetricKeyType;
  if (type === "ed25519") {
    if (sig.length !== 64) return { status: "malformed", format: "ed25519", detail: `an Ed25519 signature is 64 bytes, this one ${sig.length}` };
    return verify(null, image, key, sig)
      ? { status: "verified", format: "ed25519", detail: "Ed25519 signature verified with the declared key" }
      : { status: "tampered", format: "ed25519", detail: "the Ed25519 signature does not match the image" };
  }
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? "";
    const size = CURVE_BYTES[curve];
    if (!size) return { status: "malformed", detail: `the declared key is on curve ${curve}, which iotcert does not verify` };
    const encoding = sig.length === 2 * size ? "ieee-p1363" : "der";
    // The hash is not named by a bare signature: the usual ones for the curve are tried
    for (const hash of ["sha256", "sha384", "sha512"]) {
      try {
        if (verify(hash, image, { key, dsaEncoding: encoding }, sig)) {
          return { status: "verified", format: `ecdsa-${CURVE_NAMES[curve]}-${hash} (${encoding === "der" ? "der" : "raw"})`, detail: "ECDSA signature verified with the declared key" };
        }
      } catch {
        return { status: "malformed", format: `ecdsa-${CURVE_NAMES[curve]}`, detail: "the signature is neither raw r||s nor DER ECDSA" };
      }
    }
    return { status: "tampered", format: `ecdsa-${CURVE_NAMES[curve]}`, detail: "the ECDSA signature does not match the image" };
  }
  return { status: "malformed", detail: `the declared key is ${type}; update signatures are verified with Ed25519 or ECDSA keys` };
}

export async function verifyDetached(
  image: Uint8Array,
  signature: Buffer,
  declared: { publicKey?: string; trustAnchor?: string },
  now = new Date(),
): Promise<DetachedResult> {
  const { bytes, label } = decodeText(signature);
  if (looksLikeCms(bytes, label)) {
    if (!declared.trustAnchor) return { status: "no-key", format: "cms", detail: "a CMS signature, but no trust anchor is declared (declared.update.trustAnchor)" };
    const result = await verifyMudSignature(image, bytes, { trustAnchors: trustAnchorsIn(Buffer.from(declared.trustAnchor)), now });
    const signer = result.signer ? ` (${result.signer.subject})` : "";
    switch (result.status) {
      case "verified": return { status: "verified", format: "cms", detail: `CMS signature${signer} chains to the declared trust anchor` };
      case "untrusted": return { status: "untrusted", format: "cms", detail: `the CMS signer${signer} does not chain to the declared trust anchor` };
      case "tampered": return { status: "tampered", format: "cms", detail: `the CMS signature${signer} does not match the image` };
      default: return { status: "malformed", format: "cms", detail: result.detail };
    }
  }
  if (!declared.publicKey) return { status: "no-key", detail: "no public key is declared (declared.update.publicKey)" };
  return verifyWithKey(image, bytes, createPublicKey(declared.publicKey));
}
