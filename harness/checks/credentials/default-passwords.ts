// credentials.default-passwords: does a login of the device (telnet, SSH, FTP, HTTP Basic and
// Digest, a web form the descriptor describes or form-logins.yaml knows, RTSP, MQTT, SNMP) take a
// password that every unit shares (EN 303 645 provision 5.1-1)? A login that begins refusing (a
// lockout) is not tried further: inconclusive, never a pass.
import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { reasonOf, TransportError } from "../../core/errors.js";
import type { AcceptedCredential, LoginLockout } from "../../core/facts.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import { candidatesFor, type Candidate } from "./credential-list.js";
import { descriptorFormTargets, formLibrary, recognisedFormTargets } from "./logins/form-library.js";
import { loginFor, loginTargets, silentPorts, udpLoginTargets } from "./logins/index.js";
import type { LoginTarget } from "./logins/login.js";

/** Before the one retry of an attempt lost in transport: a struggling device gets a moment. */
const RETRY_PAUSE_MS = 1000;

interface ServiceResult {
  target: LoginTarget;
  candidates: number;
  /** Attempts that got an answer (accepted or rejected). */
  tried: number;
  /** The first shared credential that worked, in list order; every one that worked where the login reports all (everyCredential). */
  accepted: { candidate: Candidate; attemptsBefore: number; transcript?: string; readOnly?: boolean; access?: string }[];
  uniqueAccepted: Candidate[];
  /** Why the attempts stopped before the list ended without a success. */
  stopped?: string;
  /** The login began refusing logins: protection, how it showed, after how many attempts. */
  lockout?: { how: string; attempts: number };
  /** Pairs held back below a lockout the service documents, and why. */
  held?: { count: number; why: string };
  /** Why the service takes no password at all (nothing to try, nothing to find). */
  noPasswordLogin?: string;
  /** Attempts under way when a pair worked, cut short: sent, but never answered. */
  abandoned?: number;
  /** Logins at once the service kept up with, when fewer than the pace offered. */
  lanes?: { offered: number; kept: number };
  /** The check that reports an accepted anonymous login here (Login.anonymousReportedBy). */
  anonymousReportedBy?: string;
}

const label = (t: LoginTarget) => `${t.name} on port ${t.port}`;

/** Failures that say nothing about the device end the whole check rather than one service. */
const endsTheCheck = (err: unknown) => !(err instanceof TransportError) || err.kind === "aborted" || err.kind === "out-of-scope";

/** The device's transport failures get one more try after a pause; a fragile port will not change its mind. */
async function withRetry<T>(ctx: CheckContext, what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (err) {
    if (endsTheCheck(err) || (err as TransportError).kind === "fragile-port") throw err;
    ctx.log.debug({ err: (err as Error).message }, "attempt lost in transport; retrying once");
    await sleep(RETRY_PAUSE_MS, undefined, { signal: ctx.signal });
    return await what();
  }
}

/**
 * Run `attempt` on the candidates in list order, `lanes` at a time, until one says stop; the
 * caller then aborts the attempts still under way, whose failures count as abandoned. A lane
 * whose attempt is lost in transport (after its retry) while other lanes still run gives its
 * pair back to them and closes: the device takes fewer logins at once than the pace offered
 * (busybox telnetd queues a single connection). When no other lane runs, that failure is thrown;
 * so is any failure that ends the check.
 */
async function inLanes(lanes: number, candidates: Candidate[], attempt: (c: Candidate, index: number) => Promise<"stop" | "go on">): Promise<{ kept: number; abandoned: number }> {
  let next = 0;
  let running = Math.max(1, lanes);
  let kept = running;
  let abandoned = 0;
  let stop = false;
  const returned: number[] = [];
  const lane = async () => {
    try {
      while (!stop && (returned.length || next < candidates.length)) {
        const index = returned.shift() ?? next++;
        try {
          if ((await attempt(candidates[index]!, index)) === "stop") stop = true;
        } catch (err) {
          if (stop) {
            abandoned++;
            return;
          }
          if (endsTheCheck(err) || running === 1) {
            stop = true;
            throw err;
          }
          kept--;
          returned.push(index);
          return;
        }
      }
    } finally {
      running--;
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: running }, lane));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return { kept, abandoned };
}

async function tryService(ctx: CheckContext, host: string, target: LoginTarget): Promise<ServiceResult> {
  const listed = candidatesFor(ctx.device, ctx.options, target, ctx.pace.settings.attemptsPerService);
  const result: ServiceResult = { target, candidates: listed.length, tried: 0, accepted: [], uniqueAccepted: [] };
  // Once one pair works (or the service cannot be judged), the attempts under way are cut short
  const enough = new AbortController();
  const signal = AbortSignal.any([ctx.signal, enough.signal]);
  // Every attempt under way listens on it: up to the pace's lanes, each with a connection or two
  setMaxListeners(8 * ctx.pace.settings.loginsAtOnce + 16, signal);
  const attemptCtx: CheckContext = { ...ctx, signal };
  const login = loginFor(attemptCtx, host, target);
  const { kept: candidates, held } = login.limit?.(listed) ?? { kept: listed };
  result.candidates = candidates.length + (held?.count ?? 0);
  if (held) result.held = held;
  try {
    const why = await withRetry(ctx, () => login.untestable());
    if (typeof why === "object") return { ...result, noPasswordLogin: why.noPasswordLogin };
    if (why) return { ...result, stopped: why };
    if (login.anonymous) {
      const open = await withRetry(ctx, login.anonymous);
      if (open.verdict === "untestable") return { ...result, stopped: open.reason };
      if (open.verdict === "success") {
        const candidate: Candidate = { username: "", password: "", source: "anonymous", unique: false };
        const owner = login.anonymousReportedBy ? { anonymousReportedBy: login.anonymousReportedBy } : {};
        return { ...result, ...owner, accepted: [{ candidate, attemptsBefore: 0, ...(open.transcript ? { transcript: open.transcript } : {}) }] };
      }
    }
    const offered = Math.min(ctx.pace.settings.loginsAtOnce, login.lanes ?? Infinity);
    const tryOne = async (candidate: Candidate, index: number): Promise<"stop" | "go on"> => {
      ctx.progress(`${label(target)}: pair ${index + 1} of ${candidates.length}`);
      ctx.log.debug({ service: target.name, port: target.port, username: candidate.username, password: candidate.password, source: candidate.source }, "login attempt");
      const answer = await withRetry(attemptCtx, () => login.attempt(candidate));
      if (answer.verdict === "untestable") {
        if (answer.lockout && !result.stopped) {
          // Every attempt sent counts: the refused one too, toward the lockout
          const sent = result.tried + 1;
          result.lockout = { how: answer.reason, attempts: sent };
          result.stopped = `stopped after ${sent} attempt${sent > 1 ? "s" : ""}: ${answer.reason}; the remaining ${result.candidates - sent} pairs were not tried to avoid locking out the real account`;
        }
        result.stopped ??= answer.reason;
        enough.abort();
        return "stop";
      }
      result.tried++;
      if (answer.verdict === "rejected") return "go on";
      ctx.log.info({ service: target.name, port: target.port, username: candidate.username, source: candidate.source, unique: candidate.unique }, "credential accepted");
      // A per-unit credential working is how it should be; the shared ones must still be tried
      if (candidate.unique) {
        result.uniqueAccepted.push(candidate);
        return "go on";
      }
      const { transcript, readOnly, access } = answer;
      const accepted = { candidate, attemptsBefore: index, ...(transcript ? { transcript } : {}), ...(readOnly ? { readOnly } : {}), ...(access ? { access } : {}) };
      if (login.everyCredential) {
        result.accepted.push(accepted);
        result.accepted.sort((a, b) => a.attemptsBefore - b.attemptsBefore);
        return "go on";
      }
      // Of pairs accepted at once in parallel lanes, the report names the first in list order
      if (!result.accepted[0] || index < result.accepted[0].attemptsBefore) result.accepted = [accepted];
      enough.abort();
      return "stop";
    };
    // The manufacturer's declared credentials are all tried and answered before any other pair
    // starts, so a default that works at once never cuts one of them short
    const declared = candidates.filter((c) => c.source === "declared");
    const first = await inLanes(offered, declared, tryOne);
    const rest = (result.accepted.length && !login.everyCredential) || result.stopped ? { kept: first.kept, abandoned: 0 }
      : await inLanes(first.kept, candidates.slice(declared.length), (c, i) => tryOne(c, declared.length + i));
    const abandoned = first.abandoned + rest.abandoned;
    if (rest.kept < offered) result.lanes = { offered, kept: rest.kept };
    if (abandoned) result.abandoned = abandoned;
  } catch (err) {
    if (endsTheCheck(err)) throw err;
    result.stopped = reasonOf(err as TransportError);
  }
  return result;
}

/** What worked, for the comparison with other units (credentials.unique-per-device); anonymous access has no secret to share. */
function acceptedOf(r: ServiceResult): AcceptedCredential[] {
  const worked = [...r.uniqueAccepted, ...r.accepted.map((a) => a.candidate)].filter((c) => c.source !== "anonymous");
  return worked.map((c) => ({ login: r.target, username: c.username, password: c.password, source: c.source, unique: c.unique }));
}

function findingsOf(r: ServiceResult): FindingInput[] {
  const { name: service, port } = r.target;
  const target = { transport: r.target.kind === "snmp" ? ("udp" as const) : ("tcp" as const), port, service };
  // Protection against guessing (5.1-5) seen on the way; the check itself is left inconclusive
  const protection: FindingInput[] = r.lockout ? [{
    severity: "info",
    title: `${label(r.target)} began refusing logins after wrong passwords (a lockout or rate limit)`,
    target,
    evidence: { service, port, lockout: r.lockout.how, attempts: r.lockout.attempts },
  }] : [];
  const findings: FindingInput[] = [...protection, ...r.uniqueAccepted.map((c): FindingInput => ({
    severity: "info",
    title: `${label(r.target)} accepts the declared per-unit credential for "${c.username}"`,
    target,
    // The per-unit password is the owner's secret: the report has no use for it
    evidence: { service, port, username: c.username, source: c.source, unique: true },
  }))];
  if (r.anonymousReportedBy) return findings;
  for (const { candidate: c, attemptsBefore, transcript, readOnly, access } of r.accepted) {
    // A community that only reads gives away the device's configuration; one that writes, the
    // device. The community is the secret: in the evidence, never the title.
    findings.push({
      severity: readOnly ? "high" : "critical",
      title: c.source === "anonymous" ? `${label(r.target)} accepts anonymous logins`
        : r.target.kind === "snmp" ? `${label(r.target)}/udp accepts a default community (${access ?? "read"})`
        : `${label(r.target)} accepts a default password for "${c.username}"`,
      target,
      evidence: {
        service, port, username: c.username, password: c.password, ...(r.target.kind === "snmp" ? { community: c.password } : {}), source: c.source,
        attemptsBeforeSuccess: attemptsBefore, ...(access ? { access } : {}), ...(transcript ? { transcript } : {}),
      },
    });
  }
  return findings;
}

function outcomeOf(results: ServiceResult[], silent: string[]): Outcome {
  const findings = results.flatMap(findingsOf);
  const evidence = {
    ...(silent.length ? { silentPorts: silent } : {}),
    services: results.map((r) => ({
      service: r.target.name, port: r.target.port, tried: r.tried, of: r.candidates,
      ...(r.accepted.length ? { accepted: r.accepted.map((a) => a.candidate.username) } : {}),
      ...(r.accepted[0]?.candidate.source === "anonymous" ? { anonymous: true, ...(r.accepted[0].transcript ? { transcript: r.accepted[0].transcript } : {}) } : {}),
      ...(r.anonymousReportedBy ? { findingBy: r.anonymousReportedBy } : {}),
      ...(r.target.form ? { login: r.target.form.product } : {}),
      ...(r.stopped ? { stopped: r.stopped } : {}),
      ...(r.lockout ? { protection: "locks-out", lockout: r.lockout.how } : {}),
      ...(r.held ? { held: r.held.count, heldBecause: r.held.why } : {}),
      ...(r.noPasswordLogin ? { noPasswordLogin: r.noPasswordLogin } : {}),
      ...(r.lanes ? { loginsAtOnce: r.lanes } : {}),
      ...(r.abandoned ? { abandoned: r.abandoned } : {}),
    })),
  };
  const accepted = results.filter((r) => r.accepted.length);
  if (accepted.length) {
    const anonymous = (r: ServiceResult) => r.accepted[0]!.candidate.source === "anonymous";
    const guessed = accepted.filter((r) => !anonymous(r)).map((r) => `${label(r.target)} (${r.target.kind === "snmp" ? `${r.accepted.length} ${r.accepted.length > 1 ? "communities" : "community"}` : `"${r.accepted[0]!.candidate.username}"`})`);
    const open = accepted.filter(anonymous).map((r) => `${label(r.target)}${r.anonymousReportedBy ? ` (the finding is ${r.anonymousReportedBy}'s)` : ""}`);
    const summary = [
      ...(guessed.length ? [`a default password works on ${guessed.join(", ")}`] : []),
      ...(open.length ? [`anyone logs in without credentials on ${open.join(", ")}`] : []),
    ].join("; ");
    return { verdict: "fail", summary, findings, evidence };
  }
  const cut = results.filter((r) => r.stopped || r.held);
  if (cut.length || silent.length) {
    const why = [...cut.map((r) => {
      const stopped = r.stopped ?? `${r.held!.why}; the remaining ${r.held!.count} pairs were not tried to avoid locking out the real account`;
      return `${label(r.target)}: only ${r.tried} of ${r.candidates} pairs tried (${stopped})`;
    }), ...silent.map((s) => `${s}: any login there is untested`)].join("; ");
    return { verdict: "inconclusive", summary: why, findings, evidence };
  }
  const tried = results.map((r) => (r.noPasswordLogin ? `${label(r.target)}: ${r.noPasswordLogin}` : `${r.tried} pairs tried on ${label(r.target)}`)).join(", ");
  return { verdict: "pass", summary: `no default password accepted: ${tried}`, findings, evidence };
}

export const defaultPasswords: Check = {
  id: "credentials.default-passwords",
  title: "No universal default passwords",
  description:
    "Tries well-known default credentials on every login the service scans found — telnet, SSH (password and " +
    "keyboard-interactive), FTP, HTTP Basic and Digest, RTSP (Basic and Digest), MQTT and SNMP — on the web login forms " +
    "the descriptor describes and on the web logins of known stacks recognised on HTTP services (harness/data/form-logins.yaml, " +
    "Node-RED's admin token first), and fails if one is accepted. Declared credentials for http or https are tried on web forms too. Declared credentials come first (a per-unit one may work), then the user's, " +
    "then Mirai's list and the most common IoT vendor defaults, up to the pace's attempt limit per service; a " +
    "service stops at the first success. A refused, reset or silent connection is retried once and never counted " +
    "as a wrong password: the check is then inconclusive, with how many pairs were really tried; so is a port that " +
    "accepted connections and never spoke. " +
    "A web login that begins refusing (HTTP 429, Retry-After, a 5xx or another refusal after a burst: harness/data/login-lockout.yaml) " +
    "is not tried further, and one whose stack documents a lockout is tried only below it, so the real account is never locked out: " +
    "inconclusive, with the pairs left untried, and the lockout noted as protection. " +
    "FTP, MQTT and RTSP are first asked without credentials (accepted: open to anyone, a camera's stream included; an open MQTT broker " +
    "fails here and is mqtt.anonymous-access's finding); SSH that takes public keys only " +
    "has no password to guess. An SNMP agent gets " +
    "community strings (a GET of sysDescr.0, in v2c and SNMPv1 until it has answered in one; silence counts as a wrong community only while the agent is known to " +
    "answer); write access is tested only in state-changing runs, by a SET of sysContact.0 to the value it has.",
  effect: "intrusive",
  needs: ["ip"],
  consumes: ["tcp.services", "udp.services"],
  produces: ["credentials.accepted", "credentials.lockouts"],
  timeoutMs: 30 * 60_000,

  plan(device, pace) {
    const address = device.network?.address;
    if (!address) return [];
    const declared = device.declared?.credentials?.length ?? 0;
    const count = `up to ${pace.settings.attemptsPerService} per service${declared ? ` plus ${declared} declared` : ""}`;
    return [
      { address, port: "each telnet login found", protocol: "telnet", count },
      { address, port: "each SSH login found", protocol: "ssh", count, note: "one connection first to learn the offered methods" },
      { address, port: "each FTP login found", protocol: "ftp", count, note: "anonymous first" },
      { address, port: "each HTTP Basic or Digest login found", protocol: "http", count, note: "one GET without credentials first" },
      ...(device.loginForms ?? []).map((f) => ({ address, port: f.url, protocol: "http form", count, note: "one random pair first, to check the success conditions" })),
      {
        address, port: "each HTTP service found", protocol: "http", count: `${formLibrary().length} GET (harness/data/form-logins.yaml)`,
        note: `then, on a web login recognised, ${count} as for a described form, below the lockout it documents`,
      },
      { address, port: "each RTSP service found", protocol: "rtsp", count, note: "one DESCRIBE without credentials first" },
      { address, port: "each MQTT broker found", protocol: "mqtt", count, note: "a CONNECT without credentials first" },
      { address, port: "each SNMP agent found", protocol: "snmp", count: `up to ${pace.settings.attemptsPerService} communities` },
    ];
  },

  async run(ctx) {
    const services = ctx.facts.get("tcp.services");
    const host = ctx.device.network?.address;
    if (!services || !host) return { verdict: "inconclusive", summary: "the service scan did not run or found nothing to test" };
    const described = descriptorFormTargets(ctx.device);
    const recognised = await recognisedFormTargets(ctx, host, services, described);
    const targets = [...loginTargets(services), ...described, ...recognised, ...udpLoginTargets(ctx.facts.get("udp.services") ?? [])];
    const silent = silentPorts(services);
    if (!targets.length && !silent.length) {
      ctx.facts.set("credentials.accepted", []);
      ctx.facts.set("credentials.lockouts", []);
      return { verdict: "pass", summary: "no telnet, SSH, FTP, HTTP, RTSP, MQTT or SNMP login exposed" };
    }
    const results: ServiceResult[] = [];
    for (const target of targets) results.push(await tryService(ctx, host, target));
    ctx.facts.set("credentials.accepted", results.flatMap(acceptedOf));
    ctx.facts.set("credentials.lockouts", results.flatMap((r): LoginLockout[] => (r.lockout ? [{ login: r.target, ...r.lockout }] : [])));
    return outcomeOf(results, silent);
  },
};
