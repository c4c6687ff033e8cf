// Verifies a MUD file's signature (RFC 8520): a detached CMS SignedData in DER over the
// file's exact bytes, checked with pkijs against the trust anchors the lab configures. The
// signature is checked first on its own, so a changed file ("tampered") is told apart from a
// sound signature by a signer the lab does not trust ("untrusted").
import { BitString } from "asn1js";
import { Certificate, ContentInfo, SignedData, SignedDataVerifyError, type RelativeDistinguishedNames } from "pkijs";
import { CertificateError, certificatesInFile, nameText } from "./url.js";

export type SignatureStatus = "verified" | "intact" | "tampered" | "untrusted" | "wrong-signer" | "wrong-key-usage" | "malformed";

export interface SignatureResult {
  /**
   * verified: sound and chained to a trust anchor; intact: sound, but no trust anchor was given to
   * judge the signer; tampered: does not match the file; untrusted: no chain to a trust anchor;
   * wrong-signer: another subject than the device certificate's MUD signer; wrong-key-usage: the
   * signer's certificate limits its key to other uses than signing; malformed: not a usable CMS
   * signature.
   */
  status: SignatureStatus;
  /** One line for a person. */
  detail: string;
  /** The signer certificate's subject and issuer, when the signature names one. */
  signer?: { subject: string; issuer: string; serial: string };
}

const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const OID_KEY_USAGE = "2.5.29.15";

/**
 * Why the certificate's key may not verify a signature on a document, if it may not. RFC 5280
 * §4.2.1.3: a keyUsage extension limits the key to the uses it asserts, and a signature other
 * than on a certificate or a CRL is the digitalSignature bit (bit 0, the first byte's high bit
 * of the BIT STRING). Without the extension the key is not limited.
 */
function keyUsageProblem(cert: Certificate): string | undefined {
  const extension = cert.extensions?.find((e) => e.extnID === OID_KEY_USAGE);
  if (!extension) return undefined;
  const parsed: unknown = extension.parsedValue;
  if (!(parsed instanceof BitString)) return "the signer certificate's keyUsage extension cannot be read";
  const bits = parsed.valueBlock.valueHexView;
  if (bits.length > 0 && (bits[0]! & 0x80) !== 0) return undefined;
  return "the signer certificate's keyUsage does not include digitalSignature: its key may not sign a MUD file (RFC 5280 §4.2.1.3)";
}

function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The certificates of a trust-anchor file (PEM bundle or one DER certificate). Throws CertificateError on a bad one. */
export function trustAnchorsIn(file: Buffer): Certificate[] {
  return certificatesInFile(file).map((der) => {
    try {
      return Certificate.fromBER(der);
    } catch (err) {
      throw new CertificateError(`a trust anchor is not a certificate: ${(err as Error).message}`);
    }
  });
}

function signerOf(cert: Certificate | null | undefined): SignatureResult["signer"] {
  if (!cert) return undefined;
  return { subject: nameText(cert.subject), issuer: nameText(cert.issuer), serial: Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString("hex") };
}

function parse(signature: Uint8Array): SignedData | string {
  try {
    const info = ContentInfo.fromBER(buffer(signature));
    if (info.contentType !== OID_SIGNED_DATA) return `CMS content type ${info.contentType} is not SignedData`;
    const signed = new SignedData({ schema: info.content });
    if (signed.signerInfos.length === 0) return "the SignedData has no signer";
    return signed;
  } catch (err) {
    return `not a DER CMS signature: ${(err as Error).message}`;
  }
}

/**
 * Verify `signature` over `content`. Without trust anchors the result is at best "intact": the
 * signature matches the file, but nothing says the signer may speak for the manufacturer.
 * `expectedSigner` is the device certificate's id-pe-mudsigner subject, when it has one.
 */
export async function verifyMudSignature(
  content: Uint8Array,
  signature: Uint8Array,
  opts: { trustAnchors: Certificate[]; expectedSigner?: RelativeDistinguishedNames; now?: Date },
): Promise<SignatureResult> {
  const signed = parse(signature);
  if (typeof signed === "string") return { status: "malformed", detail: signed };
  const data = buffer(content);
  const checkDate = opts.now ?? new Date();

  let signerCert: Certificate | null | undefined;
  try {
    const own = await signed.verify({ signer: 0, data, checkDate, extendedMode: true });
    signerCert = own.signerCertificate;
    if (!own.signatureVerified) return { status: "tampered", detail: "the signature does not match the file", signer: signerOf(signerCert) };
  } catch (err) {
    if (!(err instanceof SignedDataVerifyError)) throw err;
    const signer = signerOf(err.signerCertificate);
    // Codes 1-3 and 8: no signer, no certificates, signer certificate missing, no data
    if (!err.signerCertificate) return { status: "malformed", detail: err.message };
    return { status: "tampered", detail: `the signature does not match the file (${err.message})`, signer };
  }
  const signer = signerOf(signerCert);
  if (opts.expectedSigner && signerCert && !signerCert.subject.isEqual(opts.expectedSigner)) {
    return { status: "wrong-signer", detail: `signed by ${signer!.subject}, but the device certificate names ${nameText(opts.expectedSigner)} as MUD signer`, signer };
  }
  const usage = signerCert ? keyUsageProblem(signerCert) : undefined;
  if (usage) return { status: "wrong-key-usage", detail: usage, signer };
  if (opts.trustAnchors.length === 0) return { status: "intact", detail: "the signature matches the file; no trust anchor was given to judge the signer", signer };
  try {
    await signed.verify({ signer: 0, data, checkDate, checkChain: true, trustedCerts: opts.trustAnchors, extendedMode: true });
  } catch (err) {
    if (!(err instanceof SignedDataVerifyError)) throw err;
    return { status: "untrusted", detail: `the signer does not chain to a trust anchor (${err.message})`, signer };
  }
  return { status: "verified", detail: `signed by ${signer?.subject ?? "an unnamed signer"}, chained to a trust anchor`, signer };
}
