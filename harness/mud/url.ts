// The MUD URL and the MUD signer, read out of an X.509 certificate's extensions (RFC 8520).
// The rules a usable URL keeps are in url-rules.ts, which loads without the ASN.1 parsers.
import { fromBER, IA5String } from "asn1js";
import { Certificate, RelativeDistinguishedNames } from "pkijs";

/** id-pe-mudURL: MUDURLSyntax ::= IA5String. */
const OID_MUD_URL = "1.3.6.1.5.5.7.1.25";
/** id-pe-mudsigner: MUDsignerSyntax ::= Name, the subject that must have signed the MUD file. */
const OID_MUD_SIGNER = "1.3.6.1.5.5.7.1.30";

export interface CertificateMud {
  /** The id-pe-mudURL extension's value. */
  url?: string;
  /** The id-pe-mudsigner extension's value. */
  signer?: RelativeDistinguishedNames;
}

export class CertificateError extends Error {
  override readonly name = "CertificateError";
}

/** Reads the MUD extensions of a DER certificate. Throws CertificateError when it is not one. */
export function certificateMud(der: Uint8Array<ArrayBuffer>): CertificateMud {
  let cert: Certificate;
  try {
    cert = Certificate.fromBER(der);
  } catch (err) {
    throw new CertificateError(`not an X.509 certificate: ${(err as Error).message}`);
  }
  const out: CertificateMud = {};
  for (const ext of cert.extensions ?? []) {
    if (ext.extnID === OID_MUD_URL) {
      const inner = fromBER(ext.extnValue.getValue());
      if (inner.offset === -1 || !(inner.result instanceof IA5String)) throw new CertificateError("the MUD URL extension is not an IA5String");
      out.url = inner.result.getValue();
    } else if (ext.extnID === OID_MUD_SIGNER) {
      try {
        out.signer = RelativeDistinguishedNames.fromBER(ext.extnValue.getValue());
      } catch {
        throw new CertificateError("the MUD signer extension is not a distinguished name");
      }
    }
  }
  return out;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/** The certificates in a PEM file (every block), or the file itself when it is DER. */
export function certificatesInFile(bytes: Buffer): Uint8Array<ArrayBuffer>[] {
  const text = bytes.toString("latin1");
  const blocks = [...text.matchAll(PEM_CERTIFICATE)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64")));
  if (blocks.length > 0) return blocks;
  if (text.includes("-----BEGIN")) throw new CertificateError("the PEM file holds no CERTIFICATE block");
  return [new Uint8Array(bytes)];
}

const NAME_TYPES: Record<string, string> = {
  "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
  "2.5.4.5": "serialNumber", "1.2.840.113549.1.9.1": "emailAddress",
};

/** A distinguished name as text, "CN=…, O=…", for reports. */
export function nameText(name: RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${NAME_TYPES[tv.type] ?? tv.type}=${String((tv.value.valueBlock as { value?: unknown }).value ?? "")}`)
    .join(", ");
}
