// snmp.transport-security: does the SNMP agent keep its traffic secret? SNMPv1 and v2c send the
// community and every value in cleartext; SNMPv3 can authenticate and encrypt, but only with the
// users and protocols the agent is configured with: a user that needs no password, or MD5 and DES.
import { loadData } from "../../core/data.js";
import { TransportError } from "../../core/errors.js";
import type { AcceptedCredential } from "../../core/facts.js";
import type { Check, CheckContext, FindingInput, Outcome, Target } from "../../core/types.js";
import type { DeclaredV3User } from "../../schema/types.js";
import { snmpRequest, SYS_DESCR, type AuthProtocol, type PrivProtocol, type SnmpResult, type SnmpTarget, type UsmUser } from "../../transports/snmp.js";

interface Protocol<P> {
  protocol: P;
  name: string;
  weak?: string;
}

interface V3Data {
  defaultUsers: string[];
  auth: Protocol<AuthProtocol>[];
  priv: Protocol<PrivProtocol>[];
}

/**
 * Node's OpenSSL 3 has single DES only in its legacy provider, which a product must not switch on
 * for everything else: DES cannot be sent, only inferred (every AES variant refused).
 */
const UNSENDABLE: ReadonlySet<PrivProtocol> = new Set(["des"]);

const DECLARED_AUTH: Record<DeclaredV3User["authProtocol"], AuthProtocol> = { MD5: "md5", SHA: "sha", "SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };
const DECLARED_PRIV: Record<NonNullable<DeclaredV3User["privProtocol"]>, PrivProtocol> = { DES: "des", AES: "aes", "AES-256": "aes256b", "AES-256-Reeder": "aes256r" };

/** The agent read the user's request and would have answered it (a response, or a refusal of the access level). */
const authenticated = (r: SnmpResult) => r.kind === "response" || r.kind === "error-status" || (r.kind === "report" && /Unsupported Security Level/i.test(r.report));

/** The agent's engine id (RFC 3411 §5 SnmpEngineID), with the enterprise it names when it follows the RFC's format. */
function engineOf(hex: string): { engineId: string; enterprise?: number } {
  const first = Number.parseInt(hex.slice(0, 8), 16);
  return hex.length >= 10 && first & 0x80000000 ? { engineId: hex, enterprise: first & 0x7fffffff } : { engineId: hex };
}

interface AgentResult {
  findings: FindingInput[];
  /** What could not be judged, and why. */
  unjudged: string[];
  evidence: Record<string, unknown>;
}

/** Bring a user's protocols to light: its auth protocol first (a wrong one is a Wrong Digest report), then its priv protocol (a wrong one, a Decryption Errors report). */
async function declaredUser(t: SnmpTarget, u: DeclaredV3User, data: V3Data, out: AgentResult, target: Target): Promise<Record<string, unknown>> {
  const get = (user: UsmUser) => snmpRequest(t, { version: "3", user }, { pdu: "get", oid: SYS_DESCR });
  const first = <P>(list: Protocol<P>[], declared: P | undefined) => [...list.filter((p) => p.protocol === declared), ...list.filter((p) => p.protocol !== declared)];
  const seen: Record<string, unknown> = { username: u.username, declared: [u.authProtocol, u.privProtocol].filter(Boolean).join("/") };

  let auth: Protocol<AuthProtocol> | undefined;
  let readsWithoutPriv = false;
  for (const p of first(data.auth, DECLARED_AUTH[u.authProtocol])) {
    const r = await get({ name: u.username, auth: { protocol: p.protocol, key: u.authKey } });
    if (r.kind === "report" && /Unknown User Name/i.test(r.report)) {
      out.unjudged.push(`the declared SNMPv3 user "${u.username}" is unknown to the agent`);
      return { ...seen, known: false };
    }
    if (r.kind === "silence") {
      out.unjudged.push(`no answer to the declared SNMPv3 user "${u.username}" with ${p.name}`);
      return seen;
    }
    if (authenticated(r)) {
      auth = p;
      readsWithoutPriv = r.kind === "response";
      break;
    }
  }
  if (!auth) {
    out.unjudged.push(`the declared SNMPv3 user "${u.username}" authenticated with none of ${data.auth.map((p) => p.name).join(", ")} (a wrong key?)`);
    return seen;
  }
  seen.auth = auth.name;
  seen.readsWithoutPrivacy = readsWithoutPriv;
  if (readsWithoutPriv) {
    out.findings.push({
      severity: "medium",
      title: `SNMPv3 user "${u.username}" reads without encryption (authNoPriv): every value it reads crosses the network in cleartext`,
      target,
      evidence: { username: u.username, auth: auth.name },
    });
  }

  let priv: Protocol<PrivProtocol> | undefined;
  const refused: string[] = [];
  if (u.privKey) {
    const authKey = { protocol: auth.protocol, key: u.authKey };
    for (const p of first(data.priv, u.privProtocol ? DECLARED_PRIV[u.privProtocol] : undefined)) {
      if (UNSENDABLE.has(p.protocol)) continue;
      const r = await get({ name: u.username, auth: authKey, priv: { protocol: p.protocol, key: u.privKey } });
      if (r.kind === "response" || r.kind === "error-status") {
        priv = p;
        break;
      }
      // snmpd drops some messages it cannot decrypt (AES-256 for an AES user) instead of reporting them
      refused.push(r.kind === "silence" ? `${p.name} (no answer)` : p.name);
    }
    // Every protocol that can be sent was refused: what is left is the one that cannot be
    const left = data.priv.filter((p) => UNSENDABLE.has(p.protocol));
    if (!priv && left.length === 1) {
      priv = left[0]!;
      seen.privInferred = `${refused.join(", ")} refused; ${priv.name} itself cannot be sent from here (Node's OpenSSL 3 has it only in its legacy provider)`;
    }
    if (priv) seen.priv = priv.name;
    else out.unjudged.push(`the declared SNMPv3 user "${u.username}" decrypted none of ${refused.join(", ")}`);
  }
  const weak = [auth, priv].filter((p): p is Protocol<AuthProtocol | PrivProtocol> => !!p?.weak);
  if (weak.length) {
    out.findings.push({
      severity: "medium",
      title: `SNMPv3 user "${u.username}" uses weak cryptography: ${weak.map((p) => p.name).join(" and ")}`,
      target,
      evidence: { username: u.username, auth: auth.name, ...(priv ? { priv: priv.name } : {}), why: weak.map((p) => p.weak) },
    });
  }
  return seen;
}

async function judgeAgent(ctx: CheckContext, host: string, port: number, accepted: AcceptedCredential[] | undefined, data: V3Data): Promise<AgentResult> {
  const out: AgentResult = { findings: [], unjudged: [], evidence: { port } };
  const target: Target = { transport: "udp", address: host, port, service: "snmp" };

  // SNMPv1/v2c: a community that works is the proof that the agent speaks them
  const communities = accepted?.filter((c) => c.login.kind === "snmp" && c.login.port === port);
  if (!communities) out.unjudged.push("SNMPv1/v2c not judged: the credential check (credentials.default-passwords) did not run");
  else {
    out.evidence.communitiesAccepted = communities.length;
    if (communities.length) {
      out.findings.push({
        severity: "high",
        title: `SNMPv1/v2c on port ${port}/udp: ${communities.length} ${communities.length > 1 ? "communities work" : "community works"}, and the community and every value read or written cross the network in cleartext`,
        target,
        evidence: { communities: communities.length, why: "SNMPv1 and v2c have no encryption and no authentication but the community, sent in clear (RFC 3410 §5)" },
      });
    }
  }

  // SNMPv3: the engine discovery precedes the first user's request; its Report is the proof
  const t: SnmpTarget = { link: ctx, host, port, timeoutMs: ctx.pace.settings.connectTimeoutMs };
  const open: string[] = [];
  const needAuth: string[] = [];
  let engine: string | undefined;
  for (const name of data.defaultUsers) {
    ctx.progress(`SNMPv3 user "${name}" on ${port}/udp`);
    const r = await snmpRequest(t, { version: "3", user: { name } }, { pdu: "get", oid: SYS_DESCR });
    engine ??= r.engineId;
    if (!engine) {
      out.evidence.v3 = false;
      out.evidence.v3Note = "no answer to the SNMPv3 engine discovery (RFC 3414 §4): the agent does not speak SNMPv3";
      if (!communities?.length) out.unjudged.push("the agent answered neither the SNMPv3 engine discovery nor a community of the list");
      return out;
    }
    if (r.kind === "response") open.push(name);
    else if (r.kind === "silence") out.unjudged.push(`no answer to SNMPv3 user "${name}" after the engine discovery`);
    else if (authenticated(r) || (r.kind === "report" && !/Unknown User Name/i.test(r.report))) needAuth.push(name);
  }
  Object.assign(out.evidence, { v3: true, ...engineOf(engine!), usersWithoutPassword: open, usersThatNeedAuthentication: needAuth });
  for (const name of open) {
    out.findings.push({
      severity: "high",
      title: `SNMPv3 user "${name}" reads without any password (noAuthNoPriv), in cleartext`,
      target,
      evidence: { username: name, securityLevel: "noAuthNoPriv", source: "harness/data/snmpv3.yaml" },
    });
  }

  const users = ctx.device.snmp?.v3Users ?? [];
  out.evidence.declaredUsers = [];
  for (const u of users) {
    ctx.progress(`declared SNMPv3 user "${u.username}" on ${port}/udp`);
    (out.evidence.declaredUsers as unknown[]).push(await declaredUser(t, u, data, out, target));
  }
  return out;
}

export const snmpTransportSecurity: Check = {
  id: "snmp.transport-security",
  title: "SNMP with authentication and encryption",
  description:
    "Looks at every SNMP agent the UDP scan found: fails when SNMPv1/v2c communities work (the credential check found them; " +
    "the community and every value travel in cleartext), when an SNMPv3 user of a short list of default names (harness/data/snmpv3.yaml) " +
    "reads without a password (noAuthNoPriv), and, for each SNMPv3 user the descriptor declares (snmp.v3Users), when it reads without " +
    "encryption or authenticates with MD5 or encrypts with DES. Reports the agent's engine id (the engine discovery every SNMPv3 agent answers) " +
    "and which protocols each declared user really uses (a wrong authentication protocol is a Wrong Digest report, a wrong privacy " +
    "protocol a decryption error). Only GETs of sysDescr.0 are sent; DES itself cannot be sent (Node's OpenSSL 3) and is inferred.",
  effect: "intrusive",
  needs: ["ip"],
  consumes: ["udp.services", "credentials.accepted"],

  plan(device, pace) {
    const address = device.network?.address;
    if (!address) return [];
    const { defaultUsers, auth, priv } = loadData<V3Data>("snmpv3.yaml");
    const users = device.snmp?.v3Users ?? [];
    const perUser = auth.length + priv.filter((p) => !UNSENDABLE.has(p.protocol)).length;
    return [{
      address, port: "each SNMP agent found", protocol: "snmpv3",
      count: `up to ${2 * (defaultUsers.length + users.length * perUser)}`,
      note: `engine discovery and a GET of sysDescr.0 for ${defaultUsers.length} default user names${users.length ? ` and ${users.length} declared users` : ""}, ${pace.settings.connectTimeoutMs} ms each`,
    }];
  },

  async run(ctx): Promise<Outcome> {
    const host = ctx.device.network!.address;
    const agents = (ctx.facts.get("udp.services") ?? []).filter((s) => s.service === "snmp");
    if (!ctx.facts.get("udp.services")) return { verdict: "inconclusive", summary: "the UDP scan did not run: no SNMP agent to judge" };
    if (!agents.length) return { verdict: "not-applicable", summary: "no SNMP agent answered the UDP scan" };
    const data = loadData<V3Data>("snmpv3.yaml");
    const results: AgentResult[] = [];
    for (const a of agents) {
      try {
        results.push(await judgeAgent(ctx, host, a.port, ctx.facts.get("credentials.accepted"), data));
      } catch (err) {
        if (!(err instanceof TransportError) || err.kind === "aborted" || err.kind === "out-of-scope") throw err;
        results.push({ findings: [], unjudged: [`${a.port}/udp: ${err.kind}: ${err.message}`], evidence: { port: a.port } });
      }
    }
    const findings = results.flatMap((r) => r.findings);
    const unjudged = results.flatMap((r) => r.unjudged);
    const evidence = { agents: results.map((r) => r.evidence) };
    const serious = findings.filter((f) => f.severity !== "info" && f.severity !== "low");
    if (serious.length) return { verdict: "fail", summary: findings.map((f) => f.title).join("; "), findings, evidence };
    if (unjudged.length) return { verdict: "inconclusive", summary: unjudged.join("; "), findings, evidence };
    const v3 = results.map((r) => `${r.evidence.port}/udp: SNMPv3 only${r.evidence.engineId ? `, engine ${String(r.evidence.engineId)}` : ""}`).join("; ");
    return { verdict: "pass", summary: `no community works, no default SNMPv3 user reads without a password, no weak protocol: ${v3}`, findings, evidence };
  },
};
