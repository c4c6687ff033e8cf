// A device's TLS certificate: the fields later checks compare (fingerprints, names, key) and what
// makes it weak. The DER comes from the device, so strings and counts are bounded.
import { SubjectAlternativeNameExtension, X509Certificate } from "@peculiar/x509";
import { createHash, createPublicKey, X509Certificate as OpenSslCertificate } from "node:crypto";
import { isIP, isIPv6 } from "node:net";
import type { CertificateFact } from "../../core/facts.js";
import type { Severity } from "../../core/types.js";

export interface ParsedCertificate {
  fact: CertificateFact;
  /** Hash in the certificate's signature: "SHA-256", "SHA-1", "MD5", "none" (EdDSA), "unknown". */
  signatureHash: string;
}

export interface CertificateProblem {
  severity: Severity;
  /** Short, without the port: "certificate expired". */
  what: string;
  evidence: Record<string, unknown>;
}

const MAX_NAME = 1024;
const MAX_SANS = 100;
const MAX_SAN = 256;
/** Larger certificates are not kept whole in the report; a real device certificate is 1–3 KiB. */
const MAX_DER = 16 * 1024;

/** Signature algorithms the Web Crypto API behind @peculiar/x509 does not know, by OID. */
const LEGACY_SIGNATURES: Record<string, string> = {
  "1.2.840.113549.1.1.2": "MD2",
  "1.2.840.113549.1.1.3": "MD4",
  "1.2.840.113549.1.1.4": "MD5",
  "1.2.840.10040.4.3": "SHA-1",
  "1.3.14.3.2.29": "SHA-1",
};
const WEAK_HASHES = new Set(["MD2", "MD4", "MD5", "SHA-1"]);

const SAN_PREFIX: Record<string, string> = { dns: "DNS", ip: "IP", url: "URI", email: "email" };

const bounded = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…` : s);
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

function signatureHashOf(cert: X509Certificate): string {
  try {
    const alg = cert.signatureAlgorithm as { name: string; hash?: { name: string } };
    if (alg.hash?.name) return alg.hash.name;
    if (alg.name === "Ed25519" || alg.name === "Ed448") return "none";
    return LEGACY_SIGNATURES[alg.name] ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Key type and size in bits from the SubjectPublicKeyInfo, as OpenSSL reads it. */
function keyOf(spki: Buffer, fallbackName: string): { keyType: string; keyBits: number } {
  try {
    const key = createPublicKey({ key: spki, format: "der", type: "spki" });
    const details = key.asymmetricKeyDetails ?? {};
    const keyType = key.asymmetricKeyType ?? fallbackName.toLowerCase();
    if (keyType === "ed25519") return { keyType, keyBits: 256 };
    if (keyType === "ed448") return { keyType, keyBits: 448 };
    // Curve names carry their size: prime256v1, secp384r1, brainpoolP512r1, sect163k1.
    if (keyType === "ec") return { keyType, keyBits: Number(/(\d{3})/.exec(details.namedCurve ?? "")?.[1] ?? 0) };
    return { keyType, keyBits: details.modulusLength ?? 0 };
  } catch {
    return { keyType: fallbackName.toLowerCase(), keyBits: 0 };
  }
}

function subjectAltNames(cert: X509Certificate): string[] {
  // A SAN of a kind the parser does not support (X.400, EDI party) makes it throw: no names then.
  try {
    const names = cert.getExtension(SubjectAlternativeNameExtension)?.names.items ?? [];
    return names.slice(0, MAX_SANS).map((n) => `${SAN_PREFIX[n.type] ?? n.type}:${bounded(n.value, MAX_SAN)}`);
  } catch {
    return [];
  }
}

/** Issuer equal to subject is not enough: the certificate's own key must verify its signature. */
function isSelfSigned(der: Buffer, subject: string, issuer: string): boolean {
  if (subject !== issuer) return false;
  try {
    // OpenSSL, not Web Crypto: it still verifies the MD5 and SHA-1 signatures old devices use.
    const cert = new OpenSslCertificate(der);
    return cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/** Throws when the DER is not a certificate. */
export function parseCertificate(der: Buffer, port: number, service: string): ParsedCertificate {
  // A copy: the parser wants a view of a plain ArrayBuffer, which a pooled Buffer need not be.
  const cert = new X509Certificate(new Uint8Array(der));
  const spki = Buffer.from(cert.publicKey.rawData);
  const subject = bounded(cert.subject, MAX_NAME);
  const issuer = bounded(cert.issuer, MAX_NAME);
  return {
    fact: {
      port,
      service,
      subject,
      issuer,
      selfSigned: isSelfSigned(der, cert.subject, cert.issuer),
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      ...keyOf(spki, cert.publicKey.algorithm.name),
      subjectAltNames: subjectAltNames(cert),
      sha256: sha256(der),
      publicKeySha256: sha256(spki),
      der: der.length <= MAX_DER ? der.toString("base64") : "",
    },
    signatureHash: signatureHashOf(cert),
  };
}

const canonicalIp = (ip: string) => (isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip);

/**
 * Does the certificate name `host`? An IP address must be an IP SAN; a host name a DNS SAN, with a
 * wildcard standing for exactly one leftmost label. The subject CN is not consulted (RFC 6125 6.4.4:
 * clients ignore it when SANs are present, and browsers ignore it altogether).
 */
export function namesHost(sans: string[], host: string): boolean {
  if (isIP(host)) {
    const want = canonicalIp(host);
    return sans.some((s) => s.startsWith("IP:") && isIP(s.slice(3)) && canonicalIp(s.slice(3)) === want);
  }
  const name = host.toLowerCase().replace(/\.$/, "");
  return sans.some((s) => {
    if (!s.startsWith("DNS:")) return false;
    const pattern = s.slice(4).toLowerCase().replace(/\.$/, "");
    if (!pattern.startsWith("*.")) return pattern === name;
    const dot = name.indexOf(".");
    return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
  });
}

const RSA_LIKE = new Set(["rsa", "rsa-pss", "dsa"]);

/** What is wrong with the certificate, judged at `now` for a client that reached it as `host`. */
export function certificateProblems(parsed: ParsedCertificate, host: string, now: Date): CertificateProblem[] {
  const c = parsed.fact;
  const problems: CertificateProblem[] = [];
  if (now > new Date(c.notAfter)) {
    problems.push({ severity: "high", what: "certificate expired", evidence: { notAfter: c.notAfter, subject: c.subject } });
  } else if (now < new Date(c.notBefore)) {
    problems.push({ severity: "high", what: "certificate not yet valid", evidence: { notBefore: c.notBefore, subject: c.subject } });
  }
  // Low, not medium: a device on a home network has no public name a CA could certify, so its
  // certificate is self-signed by necessity; what matters is that the key is its own (the
  // uniqueness check compares units) and that its clients pin it, which a lab judges.
  if (c.selfSigned) {
    problems.push({
      severity: "low",
      what: "self-signed certificate",
      evidence: {
        subject: c.subject,
        note: "usual on IoT devices, which have no public name to certify; a lab can judge whether the device's clients pin this key",
      },
    });
  }
  const weakKey = (RSA_LIKE.has(c.keyType) && c.keyBits > 0 && c.keyBits < 2048) || (c.keyType === "ec" && c.keyBits > 0 && c.keyBits < 256);
  if (weakKey) problems.push({ severity: "high", what: `weak ${c.keyType.toUpperCase()} key (${c.keyBits} bits)`, evidence: { keyType: c.keyType, keyBits: c.keyBits } });
  if (!namesHost(c.subjectAltNames, host)) {
    problems.push({ severity: "low", what: `certificate does not name ${host}`, evidence: { host, subjectAltNames: c.subjectAltNames, subject: c.subject } });
  }
  // A self-signed certificate's own signature protects nothing (trust comes from the key itself), so
  // its hash is not judged.
  if (!c.selfSigned && WEAK_HASHES.has(parsed.signatureHash)) {
    problems.push({ severity: "medium", what: `certificate signed with ${parsed.signatureHash}`, evidence: { signatureHash: parsed.signatureHash, issuer: c.issuer } });
  }
  return problems;
}
