// update.signature: the update is signed, and the signature verifies with the manufacturer's
// declared key or trust anchor (EN 303 645 5.3-2 "updates delivered securely", 5.3-9 "the device
// verifies the authenticity and integrity of updates" — judged here on the published update).
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { TransportError } from "../../core/errors.js";
import type { Check, CheckContext, FindingInput, Outcome, PlannedProbe, Severity } from "../../core/types.js";
import type { DeclaredUpdate } from "../../schema/types.js";
import { getUrl, urlTarget } from "../../transports/url-get.js";

const TIMEOUT_MS = 60_000;
/** Firmware of consumer devices fits in this; a larger image is not verified (inconclusive). */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
const MAX_SIGNATURE_BYTES = 64 * 1024;
const MAX_MANIFEST_BYTES = 256 * 1024;

type Got = { ok: true; bytes: Buffer } | { ok: false; missing: boolean; reason: string };

async function fetchBounded(ctx: CheckContext, url: string, maxBytes: number): Promise<Got> {
  try {
    const res = await getUrl(ctx, url, { timeoutMs: TIMEOUT_MS, maxBytes: maxBytes + 1, redirects: 3 });
    if (res.status !== 200) return { ok: false, missing: res.status === 404 || res.status === 410, reason: `${url} answers HTTP ${res.status}` };
    if (res.truncated || res.body.length > maxBytes) return { ok: false, missing: false, reason: `${url} is larger than ${maxBytes} bytes` };
    return { ok: true, bytes: res.body };
  } catch (err) {
    if (!(err instanceof TransportError) || err.kind === "aborted" || err.kind === "out-of-scope") throw err;
    return { ok: false, missing: false, reason: err.message };
  }
}

/** The image: from firmwareUrl, else the lab's copy (firmwareImage). */
async function image(ctx: CheckContext, update: DeclaredUpdate): Promise<Got & { from?: string }> {
  if (update.firmwareUrl) return { ...(await fetchBounded(ctx, update.firmwareUrl, MAX_IMAGE_BYTES)), from: update.firmwareUrl };
  if (!update.firmwareImage) return { ok: false, missing: false, reason: "no firmware image declared (firmwareUrl or firmwareImage)" };
  try {
    if ((await stat(update.firmwareImage)).size > MAX_IMAGE_BYTES) return { ok: false, missing: false, reason: `${update.firmwareImage} is larger than ${MAX_IMAGE_BYTES} bytes` };
    return { ok: true, bytes: await readFile(update.firmwareImage), from: update.firmwareImage };
  } catch (err) {
    return { ok: false, missing: false, reason: `${update.firmwareImage}: ${(err as Error).message}` };
  }
}

const STATUS_SEVERITY: Record<string, Severity> = { tampered: "high", untrusted: "high", malformed: "medium" };

export const updateSignature: Check = {
  id: "update.signature",
  title: "Updates are signed with the manufacturer's key",
  description:
    "Verifies the published update with the key the manufacturer declares. A SUIT manifest (CBOR envelope, " +
    "COSE_Sign1 with ES256/384/512 or EdDSA) at manifestUrl is verified with declared.update.publicKey, its digest " +
    "checked, and the image at firmwareUrl compared with the image digest it names. Otherwise the detached " +
    "signature at signatureUrl is verified over the image (firmwareUrl, or the lab's copy firmwareImage; up to " +
    "64 MiB): Ed25519 or ECDSA with publicKey (raw, DER or base64/PEM text), or CMS chained to declared.update." +
    "trustAnchor. A signature that does not match fails; an update with no signature fails when the profile sets " +
    "requireSignedUpdates, otherwise it is inconclusive; no declared key is inconclusive.",
  effect: "observe",
  needs: [],
  timeoutMs: 5 * TIMEOUT_MS,
  plan(device) {
    const u = device.declared?.update ?? {};
    return [u.manifestUrl, u.firmwareUrl, u.signatureUrl].filter((x): x is string => !!x).map((url): PlannedProbe => {
      const { host, port, tls } = urlTarget(url);
      return { address: host, port, protocol: tls ? "https" : "http", count: 1, note: `GET ${new URL(url).pathname}` };
    });
  },

  async run(ctx): Promise<Outcome> {
    const update = ctx.device.declared?.update ?? {};
    const requireSigned = !!ctx.profile.parameters?.requireSignedUpdates;
    const findings: FindingInput[] = [];
    const evidence: Record<string, unknown> = {};
    const unsigned = (why: string): Outcome => requireSigned
      ? { verdict: "fail", summary: `the update is not signed: ${why}`, findings: [...findings, { severity: "high", title: "the update is not signed", evidence: { reason: why } }], evidence }
      : { verdict: "inconclusive", summary: `no signature to verify: ${why}`, findings, evidence };

    if (update.manifestUrl) {
      const { isSuitEnvelope, verifySuitEnvelope } = await import("../../update/suit.js");
      const manifest = await fetchBounded(ctx, update.manifestUrl, MAX_MANIFEST_BYTES);
      if (manifest.ok && isSuitEnvelope(manifest.bytes)) {
        evidence.format = "suit";
        if (!update.publicKey) return { verdict: "inconclusive", summary: "a SUIT manifest, but no public key is declared (declared.update.publicKey)", evidence };
        const suit = verifySuitEnvelope(manifest.bytes, update.publicKey);
        Object.assign(evidence, { suit: suit.status, ...(suit.sequenceNumber !== undefined ? { sequenceNumber: suit.sequenceNumber } : {}) });
        if (suit.status !== "verified") {
          return { verdict: "fail", summary: `SUIT manifest ${suit.status}: ${suit.detail}`, findings: [{ severity: STATUS_SEVERITY[suit.status]!, title: `the SUIT update manifest is ${suit.status}: ${suit.detail}`, evidence: { url: update.manifestUrl } }], evidence };
        }
        if (suit.imageDigest && update.firmwareUrl) {
          const img = await image(ctx, update);
          if (!img.ok) return { verdict: "inconclusive", summary: `${suit.detail}; the image could not be compared: ${img.reason}`, evidence };
          const actual = createHash(suit.imageDigest.algorithm).update(img.bytes).digest();
          if (!actual.equals(suit.imageDigest.digest)) {
            return { verdict: "fail", summary: "the image does not match the digest in the signed SUIT manifest", findings: [{ severity: "high", title: "the firmware image does not match the signed SUIT manifest's digest", evidence: { url: update.firmwareUrl } }], evidence };
          }
          return { verdict: "pass", summary: `${suit.detail}; the image matches its digest`, evidence };
        }
        return { verdict: "pass", summary: suit.detail, evidence };
      }
      if (!manifest.ok && !update.signatureUrl) return { verdict: "inconclusive", summary: `the manifest could not be fetched: ${manifest.reason}`, evidence };
    }

    if (!update.signatureUrl) {
      if (!update.firmwareUrl && !update.firmwareImage && !update.manifestUrl) return { verdict: "inconclusive", summary: "no update declared (declared.update): nothing to verify" };
      return unsigned("no SUIT manifest and no detached signature (declared.update.signatureUrl)");
    }
    const sig = await fetchBounded(ctx, update.signatureUrl, MAX_SIGNATURE_BYTES);
    if (!sig.ok) return sig.missing ? unsigned(`the declared signature is not there (${sig.reason})`) : { verdict: "inconclusive", summary: `the signature could not be fetched: ${sig.reason}`, evidence };
    const img = await image(ctx, update);
    if (!img.ok) return { verdict: "inconclusive", summary: `the image could not be read: ${img.reason}`, evidence };
    evidence.image = { from: img.from, bytes: img.bytes.length, sha256: createHash("sha256").update(img.bytes).digest("hex") };

    const { verifyDetached } = await import("../../update/detached-signature.js");
    let result;
    try {
      result = await verifyDetached(img.bytes, sig.bytes, update);
    } catch (err) {
      return { verdict: "error", summary: `the declared key or trust anchor is unusable: ${(err as Error).message}`, evidence };
    }
    Object.assign(evidence, { signature: result.status, ...(result.format ? { format: result.format } : {}) });
    if (result.status === "verified") return { verdict: "pass", summary: result.detail, evidence };
    if (result.status === "no-key") return { verdict: "inconclusive", summary: result.detail, evidence };
    return {
      verdict: "fail",
      summary: `signature ${result.status}: ${result.detail}`,
      findings: [{ severity: STATUS_SEVERITY[result.status]!, title: `the update signature is ${result.status}: ${result.detail}`, evidence: { url: update.signatureUrl } }],
      evidence,
    };
  },
};
