// SUIT manifests (RFC 9019 architecture, RFC 9124 information model; envelope and manifest encoding
// per draft-ietf-suit-manifest): a CBOR envelope whose authentication wrapper holds a digest of the
// manifest and COSE_Sign1 signatures (RFC 9052) over that digest. cbor2 decodes and encodes the
// CBOR; the COSE_Sign1 check itself (Sig_structure, then node:crypto) is a few lines, and no COSE
// library on npm is both maintained and free of deprecated crypto dependencies.
import { createHash, createPublicKey, verify } from "node:crypto";
import { decode, encode, Tag } from "cbor2";

export interface SuitResult {
  /** verified: a signature verifies and the digest matches the manifest; tampered: either does not; malformed: not a SUIT envelope we can read. */
  status: "verified" | "tampered" | "malformed";
  detail: string;
  /** suit-manifest-sequence-number: what a device compares to refuse rollbacks. */
  sequenceNumber?: number;
  /** suit-parameter-image-digest from the common section, when the manifest names one. */
  imageDigest?: { algorithm: string; digest: Buffer };
}

const ENVELOPE_TAG = 107;
const COSE_SIGN1_TAG = 18;
const AUTHENTICATION = 2;
const MANIFEST = 3;
const MANIFEST_SEQUENCE = 2;
const MANIFEST_COMMON = 3;
const COMMON_SHARED_SEQUENCE = 4;
const DIRECTIVE_OVERRIDE_PARAMETERS = 20;
const PARAMETER_IMAGE_DIGEST = 3;
/** COSE algorithm ids (IANA) → node's names. */
const DIGESTS: Record<number, string> = { [-16]: "sha256", [-43]: "sha384", [-44]: "sha512" };
const SIGNATURES: Record<number, { hash: string | null; p1363: boolean; name: string }> = {
  [-7]: { hash: "sha256", p1363: true, name: "ES256" },
  [-35]: { hash: "sha384", p1363: true, name: "ES384" },
  [-36]: { hash: "sha512", p1363: true, name: "ES512" },
  [-8]: { hash: null, p1363: false, name: "EdDSA" },
};
/** Manifests are small; deeper nesting than this is hostile. */
const DECODE_OPTIONS = { maxDepth: 32 };

const untag = (v: unknown, tag: number): unknown => (v instanceof Tag && Number(v.tag) === tag ? v.contents : v);
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

class Malformed extends Error {}

function need<T>(ok: boolean, value: T, what: string): T {
  if (!ok) throw new Malformed(what);
  return value;
}

/**
 * A plain Uint8Array view: cbor2 encodes a Node Buffer as its JSON form, and byte strings decoded
 * from a Buffer are Buffers, which would change the Sig_structure rebuilt from them.
 */
const plain = (b: Uint8Array) => (Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b);

function decodeBytes(bytes: Uint8Array, what: string): unknown {
  try {
    return decode(plain(bytes), DECODE_OPTIONS);
  } catch (err) {
    throw new Malformed(`${what} is not CBOR (${(err as Error).message})`);
  }
}

/** Whether bytes look like a SUIT envelope: CBOR tag 107, or a map with authentication and manifest. */
export function isSuitEnvelope(bytes: Uint8Array): boolean {
  try {
    const envelope = untag(decode(plain(bytes), DECODE_OPTIONS), ENVELOPE_TAG);
    return envelope instanceof Map && isBytes(envelope.get(AUTHENTICATION)) && isBytes(envelope.get(MANIFEST));
  } catch {
    return false;
  }
}

function digestOf(value: unknown, what: string): { algorithm: string; digest: Buffer } {
  const arr = need(Array.isArray(value) && value.length >= 2, value as unknown[], `${what} is not a SUIT_Digest`);
  const algorithm = DIGESTS[Number(arr[0])];
  need(!!algorithm && isBytes(arr[1]), null, `${what} uses an unknown digest algorithm ${String(arr[0])}`);
  return { algorithm: algorithm!, digest: Buffer.from(arr[1] as Uint8Array) };
}

function imageDigestIn(manifest: Map<unknown, unknown>): SuitResult["imageDigest"] {
  const common = manifest.get(MANIFEST_COMMON);
  if (!isBytes(common)) return undefined;
  const commonMap = decodeBytes(common, "suit-common");
  if (!(commonMap instanceof Map) || !isBytes(commonMap.get(COMMON_SHARED_SEQUENCE))) return undefined;
  const sequence = decodeBytes(commonMap.get(COMMON_SHARED_SEQUENCE) as Uint8Array, "suit-shared-sequence");
  if (!Array.isArray(sequence)) return undefined;
  for (let i = 0; i + 1 < sequence.length; i += 2) {
    const args = sequence[i + 1];
    if (sequence[i] === DIRECTIVE_OVERRIDE_PARAMETERS && args instanceof Map && isBytes(args.get(PARAMETER_IMAGE_DIGEST))) {
      return digestOf(decodeBytes(args.get(PARAMETER_IMAGE_DIGEST) as Uint8Array, "suit-parameter-image-digest"), "the image digest");
    }
  }
  return undefined;
}

function verifySign1(block: unknown, payload: Uint8Array, publicKey: string): { ok: boolean; alg: string } {
  const sign1 = untag(block, COSE_SIGN1_TAG);
  const [protectedBytes, , , signature] = need(Array.isArray(sign1) && sign1.length === 4, sign1 as unknown[], "an authentication block is not a COSE_Sign1");
  need(isBytes(protectedBytes) && isBytes(signature), null, "a COSE_Sign1 lacks its protected header or signature");
  const headers = (protectedBytes as Uint8Array).length ? decodeBytes(protectedBytes as Uint8Array, "a COSE protected header") : new Map();
  const algId = headers instanceof Map ? Number(headers.get(1)) : NaN;
  const alg = need(!!SIGNATURES[algId], SIGNATURES[algId]!, `COSE algorithm ${algId} is not supported (ES256/384/512, EdDSA)`);
  // RFC 9052 section 4.4: the signature covers ["Signature1", protected, external_aad, payload]
  const toBeSigned = encode(["Signature1", plain(protectedBytes as Uint8Array), new Uint8Array(0), plain(payload)]);
  const key = createPublicKey(publicKey);
  try {
    return { ok: verify(alg.hash, toBeSigned, alg.p1363 ? { key, dsaEncoding: "ieee-p1363" } : key, signature as Uint8Array), alg: alg.name };
  } catch {
    // A key of another type than the algorithm names cannot have made this signature
    return { ok: false, alg: alg.name };
  }
}

export function verifySuitEnvelope(bytes: Uint8Array, publicKey: string): SuitResult {
  try {
    const envelope = untag(decodeBytes(bytes, "the envelope"), ENVELOPE_TAG);
    need(envelope instanceof Map, null, "the envelope is not a CBOR map");
    const env = envelope as Map<unknown, unknown>;
    const authBytes = need(isBytes(env.get(AUTHENTICATION)), env.get(AUTHENTICATION) as Uint8Array, "the envelope has no authentication wrapper");
    const manifestBytes = need(isBytes(env.get(MANIFEST)), env.get(MANIFEST) as Uint8Array, "the envelope has no manifest");
    const auth = decodeBytes(authBytes, "the authentication wrapper");
    need(Array.isArray(auth) && auth.length >= 1 && isBytes(auth[0]), null, "the authentication wrapper is not [digest, signatures…]");
    const [digestBytes, ...blocks] = auth as Uint8Array[];
    const digest = digestOf(decodeBytes(digestBytes!, "the manifest digest"), "the manifest digest");
    const manifest = decodeBytes(manifestBytes, "the manifest");
    need(manifest instanceof Map, null, "the manifest is not a CBOR map");
    const m = manifest as Map<unknown, unknown>;
    const sequenceNumber = typeof m.get(MANIFEST_SEQUENCE) === "number" ? (m.get(MANIFEST_SEQUENCE) as number) : undefined;
    const imageDigest = imageDigestIn(m);
    const extra = { ...(sequenceNumber !== undefined ? { sequenceNumber } : {}), ...(imageDigest ? { imageDigest } : {}) };
    if (blocks.length === 0) return { status: "tampered", detail: "the SUIT envelope carries no signature", ...extra };
    if (!createHash(digest.algorithm).update(manifestBytes).digest().equals(digest.digest)) {
      return { status: "tampered", detail: "the manifest does not match the digest its signature covers", ...extra };
    }
    const results = blocks.map((b) => verifySign1(decodeBytes(b, "an authentication block"), digestBytes!, publicKey));
    const good = results.find((r) => r.ok);
    if (!good) return { status: "tampered", detail: `no COSE_Sign1 signature (${results.map((r) => r.alg).join(", ")}) verifies with the declared key`, ...extra };
    return { status: "verified", detail: `SUIT manifest signed (${good.alg}) with the declared key`, ...extra };
  } catch (err) {
    if (err instanceof Malformed) return { status: "malformed", detail: err.message };
    throw err;
  }
}
