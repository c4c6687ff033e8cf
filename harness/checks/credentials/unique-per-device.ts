// credentials.unique-per-device: do other units of the same model (the descriptor's siblings)
// share this unit's secrets — its SSH host key, its TLS certificate or key, a password that works
// on it (EN 303 645 provision 5.1-2)? Only what this unit showed is asked of a sibling.
import { reasonOf, TransportError } from "../../core/errors.js";
import type { AcceptedCredential, CertificateFact } from "../../core/facts.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import { siblingsOf, type Sibling } from "../../schema/siblings.js";
import { tlsHandshake } from "../../transports/tls-probe.js";
import { loginFor } from "./logins/index.js";
import { REPLY_TIMEOUT_MS, type LoginTarget } from "./logins/login.js";

/** ssh2 takes longer to load than most runs spend on SSH; only a run with an SSH service pays. */
const sshTransport = () => import("../../transports/ssh.js");

/** One thing compared between this unit and a sibling. */
interface Comparison {
  sibling: string;
  what: string;
  port: number;
  result: "shared" | "different" | "not compared";
  /** Why it could not be compared (the sibling did not answer, has no such key, …). */
  reason?: string;
}

interface Compared {
  comparisons: Comparison[];
  findings: FindingInput[];
}

/** Transport failures on the sibling leave one comparison open; aborts and scope refusals end the check. */
function openReason(err: unknown): string {
  if (!(err instanceof TransportError) || err.kind === "aborted" || err.kind === "out-of-scope") throw err;
  return reasonOf(err);
}

const unitName = (s: Sibling) => (s.id === s.address ? s.address : `${s.id} (${s.address})`);

async function compareHostKeys(ctx: CheckContext, host: string, sibling: Sibling, port: number): Promise<Compared> {
  const { HOST_KEY_ALGORITHMS, sshHostKey } = await sshTransport();
  const timing = { connectTimeoutMs: ctx.pace.settings.connectTimeoutMs, replyTimeoutMs: REPLY_TIMEOUT_MS };
  const out: Compared = { comparisons: [], findings: [] };
  for (const algorithm of HOST_KEY_ALGORITHMS) {
    ctx.progress(`SSH ${algorithm} host key on port ${port}`);
    const ours = await sshHostKey(ctx, host, port, algorithm, timing).catch(openReason);
    if (typeof ours !== "object") {
      if (typeof ours === "string") out.comparisons.push({ sibling: sibling.id, what: `SSH ${algorithm} host key`, port, result: "not compared", reason: `this unit: ${ours}` });
      continue;
    }
    const what = `SSH ${ours.keyType} host key`;
    const theirs = await sshHostKey(ctx, sibling.address, port, algorithm, timing).catch(openReason);
    if (typeof theirs === "string") {
      out.comparisons.push({ sibling: sibling.id, what, port, result: "not compared", reason: theirs });
      continue;
    }
    if (!theirs) {
      out.comparisons.push({ sibling: sibling.id, what, port, result: "different", reason: `the sibling has no ${algorithm} host key` });
      continue;
    }
    const shared = theirs.fingerprint === ours.fingerprint;
    out.comparisons.push({ sibling: sibling.id, what, port, result: shared ? "shared" : "different" });
    if (shared) {
      out.findings.push({
        severity: "high",
        title: `unit ${unitName(sibling)} presents the same ${what} as this unit on port ${port}`,
        target: { transport: "tcp", port, service: "ssh" },
        evidence: { sibling: sibling.id, siblingAddress: sibling.address, port, keyType: ours.keyType, fingerprint: ours.fingerprint },
      });
    }
  }
  return out;
}

async function compareCertificate(ctx: CheckContext, sibling: Sibling, ours: CertificateFact): Promise<Compared> {
  const port = ours.port;
  ctx.progress(`TLS certificate on port ${port}`);
  const base = { sibling: sibling.id, port };
  const hello = await tlsHandshake(ctx, sibling.address, port, { minVersion: "TLSv1", maxVersion: "TLSv1.3", timeoutMs: ctx.pace.settings.connectTimeoutMs + REPLY_TIMEOUT_MS });
  if (!hello.ok) return { comparisons: [{ ...base, what: "TLS certificate", result: "not compared", reason: `${hello.reason}: ${hello.detail}` }], findings: [] };
  const der = hello.chain[0];
  if (!der) return { comparisons: [{ ...base, what: "TLS certificate", result: "not compared", reason: "the sibling presented no certificate" }], findings: [] };
  let theirs: CertificateFact;
  try {
    // @peculiar/x509 takes long to load; only a run with a TLS sibling to compare pays
    const { parseCertificate } = await import("../crypto/certificate.js");
    theirs = parseCertificate(der, port, ours.service).fact;
  } catch (err) {
    return { comparisons: [{ ...base, what: "TLS certificate", result: "not compared", reason: `its certificate does not parse: ${(err as Error).message}` }], findings: [] };
  }
  const sameCertificate = theirs.sha256 === ours.sha256;
  const sameKey = theirs.publicKeySha256 === ours.publicKeySha256;
  const comparisons: Comparison[] = [
    { ...base, what: "TLS certificate", result: sameCertificate ? "shared" : "different" },
    { ...base, what: "TLS public key", result: sameKey ? "shared" : "different" },
  ];
  if (!sameKey) return { comparisons, findings: [] };
  // The same key is the flaw (one extracted key impersonates every unit); the same certificate is how it shows
  return {
    comparisons,
    findings: [{
      severity: "high",
      title: sameCertificate
        ? `unit ${unitName(sibling)} presents the same TLS certificate as this unit on port ${port}`
        : `unit ${unitName(sibling)} presents a TLS certificate with the same key as this unit's on port ${port}`,
      target: { transport: "tcp", port, service: ours.service },
      evidence: {
        sibling: sibling.id, siblingAddress: sibling.address, port, subject: ours.subject,
        certificateSha256: ours.sha256, ...(sameCertificate ? {} : { siblingCertificateSha256: theirs.sha256 }),
        publicKeySha256: ours.publicKeySha256,
      },
    }],
  };
}

/** SNMP communities are not tried: a wrong one is silence, as is an agent that is not there. */
const comparableLogin = (c: AcceptedCredential) => c.login.kind !== "snmp";

async function comparePassword(ctx: CheckContext, sibling: Sibling, found: AcceptedCredential): Promise<Compared> {
  // The fact carries the LoginTarget the credential check drove, unchanged
  const target = found.login as LoginTarget;
  const what = `${found.unique ? "declared per-unit" : "default"} password for "${found.username}" on ${target.name}`;
  const base = { sibling: sibling.id, what, port: target.port };
  ctx.progress(`${what} on port ${target.port}`);
  const login = loginFor(ctx, sibling.address, target);
  let answer;
  try {
    const why = await login.untestable();
    if (why) return { comparisons: [{ ...base, result: "not compared", reason: typeof why === "string" ? why : why.noPasswordLogin }], findings: [] };
    answer = await login.attempt({ username: found.username, password: found.password, source: "declared", unique: found.unique });
  } catch (err) {
    return { comparisons: [{ ...base, result: "not compared", reason: openReason(err) }], findings: [] };
  }
  if (answer.verdict === "untestable") return { comparisons: [{ ...base, result: "not compared", reason: answer.reason }], findings: [] };
  const shared = answer.verdict === "success";
  return {
    comparisons: [{ ...base, result: shared ? "shared" : "different" }],
    findings: shared ? [{
      // A "unique" password that two units share is exactly what the manufacturer said was not so
      severity: found.unique ? "critical" : "high",
      title: found.unique
        ? `unit ${unitName(sibling)} accepts this unit's declared per-unit password for "${found.username}" on ${target.name} port ${target.port}`
        : `unit ${unitName(sibling)} accepts the same default password for "${found.username}" on ${target.name} port ${target.port}`,
      target: { transport: "tcp", port: target.port, service: target.name },
      evidence: {
        sibling: sibling.id, siblingAddress: sibling.address, service: target.name, port: target.port,
        username: found.username, password: found.password, source: found.source, declaredUnique: found.unique,
      },
    }] : [],
  };
}

function outcomeOf(siblings: Sibling[], all: Compared[], missing: string[]): Outcome {
  const comparisons = all.flatMap((c) => c.comparisons);
  const findings = all.flatMap((c) => c.findings);
  const evidence = { siblings: siblings.map((s) => ({ id: s.id, address: s.address })), comparisons, ...(missing.length ? { notRun: missing } : {}) };
  const open = comparisons.filter((c) => c.result === "not compared");
  const compared = comparisons.filter((c) => c.result !== "not compared");
  if (findings.length) {
    const what = [...new Set(comparisons.filter((c) => c.result === "shared").map((c) => c.what))].join(", ");
    return { verdict: "fail", summary: `${findings.length} secret${findings.length > 1 ? "s" : ""} shared with another unit: ${what}`, findings, evidence };
  }
  if (open.length || missing.length || !compared.length) {
    const why = [
      ...missing,
      ...open.map((c) => `${c.what} on port ${c.port} of ${c.sibling}: ${c.reason}`),
      ...(compared.length || open.length ? [] : ["this unit showed no SSH host key, TLS certificate or working password to compare"]),
    ];
    return { verdict: "inconclusive", summary: `${compared.length} compared, none shared; not compared: ${why.join("; ")}`, evidence };
  }
  return { verdict: "pass", summary: `${compared.length} comparison${compared.length > 1 ? "s" : ""} with ${siblings.length} other unit${siblings.length > 1 ? "s" : ""}, nothing shared`, evidence };
}

export const uniquePerDevice: Check = {
  id: "credentials.unique-per-device",
  title: "Secrets unique per unit",
  description:
    "Compares this unit with the other units of its model that the descriptor names (siblings): the SSH host key of " +
    "each type (read after the key exchange, so the sibling proved it holds the private key), the TLS certificate and " +
    "public key on each TLS port (this unit's from the TLS check, the sibling's from one handshake), and every password " +
    "the credential check found working here, tried once on the sibling at the same login. Anything shared fails: one " +
    "unit's secret opens or impersonates the others. A sibling that does not answer leaves it inconclusive.",
  effect: "intrusive",
  needs: ["ip"],
  consumes: ["tcp.services", "tls.certificates", "credentials.accepted"],
  timeoutMs: 15 * 60_000,

  plan(device) {
    const siblings = (device.siblings ?? []).map((s) => (typeof s === "string" ? `the unit of ${s}` : s.address));
    const address = device.network?.address;
    if (!address || !siblings.length) return [];
    return [
      { address, port: "each SSH service", protocol: "ssh", count: "1 per host key type", note: "key exchange only" },
      ...siblings.flatMap((sibling) => [
        { address: sibling, port: "each SSH port of this unit", protocol: "ssh", count: "1 per host key type", note: "key exchange only" },
        { address: sibling, port: "each TLS port of this unit", protocol: "tls", count: 1, note: "certificate only" },
        { address: sibling, port: "each login where a password worked", protocol: "login", count: "1 per working password" },
      ]),
    ];
  },

  async run(ctx) {
    const siblings = siblingsOf(ctx.device, ctx.options.siblings);
    if (!siblings.length) return { verdict: "not-applicable", summary: "the descriptor names no other unit of the model (siblings)" };
    const services = ctx.facts.get("tcp.services");
    const host = ctx.device.network?.address;
    if (!services || !host) return { verdict: "inconclusive", summary: "the service scan did not run or found nothing to compare" };
    const certificates = ctx.facts.get("tls.certificates");
    const accepted = ctx.facts.get("credentials.accepted");
    const missing = [
      ...(certificates ? [] : ["TLS certificates: the TLS check did not run"]),
      ...(accepted ? [] : ["passwords: the credential check did not run"]),
    ];
    const all: Compared[] = [];
    for (const sibling of siblings) {
      for (const ssh of services.filter((s) => s.name === "ssh")) all.push(await compareHostKeys(ctx, host, sibling, ssh.port));
      for (const cert of certificates ?? []) all.push(await compareCertificate(ctx, sibling, cert));
      for (const found of (accepted ?? []).filter(comparableLogin)) all.push(await comparePassword(ctx, sibling, found));
    }
    return outcomeOf(siblings, all, missing);
  },
};
