// crypto.tls: on every TLS service, the protocol versions and weak cipher suites it accepts and the
// certificate it presents. Each certificate is published for the checks that compare them later.
import { isIP } from "node:net";
import { loadData } from "../../core/data.js";
import type { CertificateFact, Service } from "../../core/facts.js";
import type { Check, CheckContext, FindingInput, Outcome, Severity } from "../../core/types.js";
import { helloProbe, sslv2Probe, sslv3Probe, tlsHandshake, type HandshakeResult, type ProbeFailure, type TlsVersion } from "../../transports/tls-probe.js";
import type { ParsedCertificate } from "./certificate.js";

interface CipherFamily {
  id: string;
  title: string;
  severity: Severity;
  suites: { code: number; name: string }[];
}

const families = () => loadData<{ families: CipherFamily[] }>("tls-weak-ciphers.yaml").families;

/** TLS 1.2 goes first: a service that does not answer it is not probed further. */
const TLS_VERSIONS: { label: string; version: TlsVersion }[] = [
  { label: "TLS 1.2", version: "TLSv1.2" },
  { label: "TLS 1.3", version: "TLSv1.3" },
  { label: "TLS 1.1", version: "TLSv1.1" },
  { label: "TLS 1.0", version: "TLSv1" },
];
/** Where the certificate is taken from: the best version the service accepted. */
const PREFERENCE = ["TLS 1.3", "TLS 1.2", "TLS 1.1", "TLS 1.0"];
/** Versions that are findings when accepted (SSLv2 and SSLv3 are broken; TLS 1.0 and 1.1 deprecated by RFC 8996). */
const OLD_VERSIONS: Record<string, Severity> = { SSLv2: "high", SSLv3: "high", "TLS 1.0": "medium", "TLS 1.1": "medium" };
/** TLS 1.2 in the ClientHello lets a server choose any version up to it. */
const TLS12 = 0x0303;
const FAILING: ReadonlySet<Severity> = new Set(["critical", "high", "medium"]);

/** Service names that mean TLS even if an identifier did not set the flag. */
const TLS_NAMES = new Set(["https", "mqtts", "tls"]);
const isTls = (s: Service) => s.tls || TLS_NAMES.has(s.name);

interface Assessment {
  port: number;
  service: string;
  /** What each probe saw, for the report: "accepted (TLS_AES_128_GCM_SHA256)", "refused: alert 70". */
  probes: Record<string, string>;
  problems: { severity: Severity; what: string; evidence?: Record<string, unknown> }[];
  certificate?: ParsedCertificate;
  /** Why the assessment is incomplete, when it is. */
  incomplete?: string;
}

/**
 * A failed probe is a refusal, except when the connection itself failed: then its answer is
 * unknown. Silence counts as refusal because the service already answered the TLS 1.2 probe, and a
 * server that accepts a hello answers it at once.
 */
function refusal(a: Assessment, label: string, f: ProbeFailure): void {
  if (f.reason === "no-connection") {
    a.probes[label] = `unknown: ${f.detail}`;
    a.incomplete ??= `${label} could not be tried (${f.detail})`;
  } else {
    a.probes[label] = `refused (${f.reason}): ${f.detail}`;
  }
}

interface Probing {
  ctx: CheckContext;
  host: string;
  port: number;
  timeoutMs: number;
  /** SNI, for a device reached by host name. */
  sni: { servername?: string };
}

type Completed = Extract<HandshakeResult, { ok: true }>;

/**
 * Every version on its own. Returns the completed TLS handshakes and every version accepted, or
 * undefined when the service did not answer TLS 1.2 (then nothing more is sent to it).
 */
async function probeVersions(p: Probing, a: Assessment): Promise<{ handshakes: Map<string, Completed>; versions: Set<string> } | undefined> {
  const handshakes = new Map<string, Completed>();
  for (const { label, version } of TLS_VERSIONS) {
    p.ctx.progress(`port ${p.port}: ${label}`);
    const r = await tlsHandshake(p.ctx, p.host, p.port, { minVersion: version, maxVersion: version, timeoutMs: p.timeoutMs, ...p.sni });
    if (r.ok) {
      handshakes.set(label, r);
      a.probes[label] = `accepted (${r.cipher})`;
    } else if (label === "TLS 1.2" && (r.reason === "no-connection" || r.reason === "timeout")) {
      a.probes[label] = `unknown: ${r.detail}`;
      a.incomplete = `port ${p.port} did not answer a TLS 1.2 ClientHello (${r.detail})`;
      return undefined;
    } else {
      refusal(a, label, r);
    }
  }
  p.ctx.progress(`port ${p.port}: SSLv3, SSLv2`);
  const versions = new Set(handshakes.keys());
  const ssl3 = await sslv3Probe(p.ctx, p.host, p.port, { timeoutMs: p.timeoutMs });
  if (ssl3.ok) {
    versions.add("SSLv3");
    a.probes.SSLv3 = `accepted (suite 0x${ssl3.cipherSuite.toString(16).padStart(4, "0")})`;
  } else {
    refusal(a, "SSLv3", ssl3);
  }
  const ssl2 = await sslv2Probe(p.ctx, p.host, p.port, { timeoutMs: p.timeoutMs });
  if (ssl2.ok) {
    versions.add("SSLv2");
    a.probes.SSLv2 = `accepted (${ssl2.cipherSpecs} cipher kinds)`;
  } else {
    refusal(a, "SSLv2", ssl2);
  }
  return { handshakes, versions };
}

/** One ClientHello per weak family, offering only that family's suites. */
async function probeWeakSuites(p: Probing, a: Assessment): Promise<void> {
  for (const family of families()) {
    p.ctx.progress(`port ${p.port}: ${family.id} suites`);
    const label = `${family.id} suites`;
    const r = await helloProbe(p.ctx, p.host, p.port, { version: TLS12, cipherSuites: family.suites.map((s) => s.code), timeoutMs: p.timeoutMs, ...p.sni });
    const suite = r.ok ? family.suites.find((s) => s.code === r.cipherSuite) : undefined;
    if (r.ok && suite) {
      a.probes[label] = `accepted (${suite.name})`;
      a.problems.push({ severity: family.severity, what: `${family.title} accepted`, evidence: { suite: suite.name, version: `0x${r.version.toString(16)}` } });
    } else if (r.ok) {
      a.probes[label] = `refused: the server chose 0x${r.cipherSuite.toString(16)}, which was not offered`;
    } else {
      refusal(a, label, r);
    }
  }
}

async function judgeCertificate(p: Probing, handshakes: Map<string, Completed>, a: Assessment): Promise<void> {
  const best = PREFERENCE.map((l) => handshakes.get(l)).find((r) => r !== undefined);
  const der = best?.chain[0];
  if (!der) {
    a.probes.certificate = best ? "none presented (anonymous suite)" : "not collected: no TLS handshake completed";
    return;
  }
  // The X.509 parser is loaded only when there is a certificate to read: it is slow to import.
  const { certificateProblems, parseCertificate } = await import("./certificate.js");
  try {
    a.certificate = parseCertificate(der, p.port, a.service);
    a.problems.push(...certificateProblems(a.certificate, p.host, new Date()));
  } catch (err) {
    a.problems.push({ severity: "medium", what: "certificate does not parse", evidence: { error: String(err).slice(0, 200) } });
  }
}

async function assess(ctx: CheckContext, host: string, service: Service): Promise<Assessment> {
  const a: Assessment = { port: service.port, service: service.name, probes: {}, problems: [] };
  const p: Probing = { ctx, host, port: service.port, timeoutMs: ctx.pace.settings.connectTimeoutMs * 2, sni: isIP(host) ? {} : { servername: host } };
  const seen = await probeVersions(p, a);
  if (!seen) return a;
  const { handshakes, versions } = seen;
  if (versions.size === 0) {
    a.incomplete ??= `port ${service.port} completed no TLS or SSL handshake: it may not speak TLS`;
    return a;
  }
  for (const [label, severity] of Object.entries(OLD_VERSIONS)) {
    const cipher = handshakes.get(label)?.cipher;
    if (versions.has(label)) a.problems.push({ severity, what: `${label} accepted`, ...(cipher ? { evidence: { cipher } } : {}) });
  }
  if (!versions.has("TLS 1.2") && !versions.has("TLS 1.3")) {
    a.problems.push({ severity: "high", what: "no TLS 1.2 or 1.3", evidence: { accepted: [...versions] } });
  }
  // Weak suites exist only up to TLS 1.2 (SSLv2 has its own, judged with the version).
  if ([...versions].some((v) => v !== "TLS 1.3" && v !== "SSLv2")) await probeWeakSuites(p, a);
  await judgeCertificate(p, handshakes, a);
  return a;
}

function outcome(host: string, assessments: Assessment[]): Outcome {
  const findings: FindingInput[] = [];
  for (const a of assessments) {
    for (const p of a.problems) {
      findings.push({
        severity: p.severity,
        title: `${p.what} on port ${a.port}`,
        target: { transport: "tcp", address: host, port: a.port, service: a.service },
        ...(p.evidence ? { evidence: p.evidence } : {}),
      });
    }
  }
  const evidence = {
    services: assessments.map((a) => ({ port: a.port, probes: a.probes, ...(a.incomplete ? { incomplete: a.incomplete } : {}) })),
  };
  const failing = assessments.flatMap((a) => a.problems.filter((p) => FAILING.has(p.severity)).map((p) => `${a.port}: ${p.what}`));
  if (failing.length > 0) {
    const more = failing.length > 4 ? ` and ${failing.length - 4} more` : "";
    return { verdict: "fail", summary: `${failing.slice(0, 4).join("; ")}${more}`, findings, evidence };
  }
  const incomplete = assessments.filter((a) => a.incomplete);
  if (incomplete.length > 0) {
    return { verdict: "inconclusive", summary: incomplete.map((a) => a.incomplete).join("; "), findings, evidence };
  }
  const ports = assessments.map((a) => a.port).join(", ");
  const minor = findings.length > 0 ? `; ${findings.length} low-severity finding${findings.length > 1 ? "s" : ""}` : "";
  return { verdict: "pass", summary: `TLS on port${assessments.length > 1 ? "s" : ""} ${ports}: TLS 1.2+ only, no weak suite or certificate problem${minor}`, findings, evidence };
}

export const tls: Check = {
  id: "crypto.tls",
  title: "TLS versions, cipher suites and certificates",
  description:
    "On every TLS service, tries each protocol version on its own (SSLv2 and SSLv3 with hand-built hellos, TLS 1.0 to 1.3 " +
    "with real handshakes) and, at TLS 1.2 and below, ClientHellos offering only one weak family of suites (NULL, " +
    "anonymous, EXPORT, RC4, DES, 3DES), then judges the certificate from the best handshake: validity dates, " +
    "self-signature, key size, signature hash, and whether it names the device's address. Publishes each certificate.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.services"],
  produces: ["tls.certificates"],

  plan(device) {
    const address = device.network?.address ?? "";
    const line = (protocol: string, note: string) => ({ address, port: "each TLS service", protocol, count: "1 per TLS port", note });
    return [
      ...TLS_VERSIONS.map((v) => line("tls", `${v.label} handshake${v.label === "TLS 1.2" ? " (a service silent to it gets no more)" : ""}`)),
      line("ssl", "SSLv3 ClientHello, first answer read"),
      line("ssl", "SSLv2 CLIENT-HELLO, first answer read"),
      ...families().map((f) => line("tls", `ClientHello offering only ${f.id} suites, when TLS 1.2 or lower is accepted`)),
    ];
  },

  async run(ctx): Promise<Outcome> {
    const known = ctx.facts.get("tcp.services");
    if (!known) return { verdict: "inconclusive", summary: "no services were identified" };
    const host = ctx.device.network!.address;
    const services = known.filter(isTls);
    if (services.length === 0) {
      ctx.facts.set("tls.certificates", []);
      return { verdict: "not-applicable", summary: "no TLS service found" };
    }
    // One service at a time, one probe at a time: a dozen handshakes per port is enough load.
    const assessments: Assessment[] = [];
    for (const service of services) assessments.push(await assess(ctx, host, service));
    const certificates: CertificateFact[] = assessments.flatMap((a) => (a.certificate ? [a.certificate.fact] : []));
    ctx.facts.set("tls.certificates", certificates);
    return outcome(host, assessments);
  },
};
