// credentials.bruteforce-protection: does a login of the device slow down, lock out, or keep
// answering wrong passwords at full speed (EN 303 645 provision 5.1-5)? The thresholds, with
// their reasons, are in harness/data/bruteforce-protection.yaml. A login that credentials.default-
// passwords already saw lock out (the fact credentials.lockouts) counts as locking out, and gets
// no more wrong passwords: they would only lock the real account out longer.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { loadData } from "../../core/data.js";
import { reasonOf, TransportError } from "../../core/errors.js";
import type { LoginLockout } from "../../core/facts.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import { declaredFor, type Candidate } from "./credential-list.js";
import { loginFor, loginTargets, silentPorts } from "./logins/index.js";
import type { Login, LoginTarget } from "./logins/login.js";

interface Thresholds {
  attempts: number;
  minAnswered: number;
  window: number;
  slowdown: { factor: number; minMs: number };
  failureDelayMs: number;
  parallel: { attempts: number; bypassFactor: number };
}

// Its schema and rules (harness/schema/data) hold every threshold positive and minAnswered at least twice window
const thresholds = () => loadData<Thresholds>("bruteforce-protection.yaml");

/** Before the one retry of an attempt lost in transport: a struggling device gets a moment. */
const RETRY_PAUSE_MS = 1000;
/** The account attacked when the manufacturer declared none for the service. */
const DEFAULT_USERNAME = "admin";

type Protection = "locks-out" | "slows-down" | "delays-failures" | "none";

interface ServiceResult {
  target: LoginTarget;
  username: string;
  attempts: number;
  /** Answer times of the wrong passwords that got an answer, in order. */
  timingsMs: number[];
  protection?: Protection;
  /** How the lockout showed: the refusal, or the way the service stopped answering. */
  lockout?: string;
  /** Why the service was not judged (it cannot be tested, or too few answers). */
  skipped?: string;
  inconclusive?: string;
  baselineMs?: number;
  recentMs?: number;
  medianMs?: number;
  parallel?: { attempts: number; answered: number; wallMs: number; perConnection: boolean };
}

const label = (t: LoginTarget) => `${t.name} on port ${t.port}`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
};

/** A password no device has: fresh random bytes. */
const wrongPassword = () => `iotcert-${randomBytes(12).toString("base64url")}`;

function usernameFor(ctx: CheckContext, t: LoginTarget): string {
  const declared = ctx.device.declared?.credentials?.find((c) => c.username && declaredFor(c, t));
  return declared?.username ?? DEFAULT_USERNAME;
}

/** Failures that say nothing about the device end the whole check. */
const endsTheCheck = (err: unknown) => !(err instanceof TransportError) || err.kind === "aborted" || err.kind === "out-of-scope";

type Timed = { answer: "rejected"; ms: number } | { answer: "success"; ms: number } | { answer: "refused"; why: string };

/** One wrong password, timed from before the connection to the answer. */
async function timedAttempt(login: Login, username: string): Promise<Timed> {
  const candidate: Candidate = { username, password: wrongPassword(), source: "user", unique: false };
  const started = performance.now();
  const answer = await login.attempt(candidate);
  const ms = Math.round(performance.now() - started);
  if (answer.verdict === "untestable") return { answer: "refused", why: answer.reason };
  return answer.verdict === "success" ? { answer: "success", ms } : { answer: "rejected", ms };
}

/** A transport failure gets one retry after a pause; twice in a row, the service stopped answering. */
async function attemptOrSilence(ctx: CheckContext, login: Login, username: string): Promise<Timed | { answer: "silent"; why: string }> {
  try {
    return await timedAttempt(login, username);
  } catch (first) {
    if (endsTheCheck(first)) throw first;
    ctx.log.debug({ err: (first as Error).message }, "attempt lost in transport; retrying once");
    await sleep(RETRY_PAUSE_MS, undefined, { signal: ctx.signal });
    try {
      return await timedAttempt(login, username);
    } catch (second) {
      if (endsTheCheck(second)) throw second;
      return { answer: "silent", why: reasonOf(second as TransportError) };
    }
  }
}

/** Wrong passwords at once, to tell a delay per connection from a limit on the account or the service. */
async function parallelBurst(login: Login, username: string, attempts: number, medianMs: number, bypassFactor: number): Promise<NonNullable<ServiceResult["parallel"]>> {
  const started = performance.now();
  const answers = await Promise.allSettled(Array.from({ length: attempts }, () => timedAttempt(login, username)));
  const wallMs = Math.round(performance.now() - started);
  for (const a of answers) if (a.status === "rejected" && endsTheCheck(a.reason)) throw a.reason;
  // Only answered wrong passwords count: a refused, reset or silent connection gained the attacker nothing
  const answered = answers.filter((a) => a.status === "fulfilled" && a.value.answer === "rejected").length;
  const perConnection = answered * medianMs >= bypassFactor * wallMs;
  return { attempts, answered, wallMs, perConnection };
}

async function probeService(ctx: CheckContext, host: string, target: LoginTarget, t: Thresholds): Promise<ServiceResult> {
  const login = loginFor(ctx, host, target);
  const username = usernameFor(ctx, target);
  const result: ServiceResult = { target, username, attempts: 0, timingsMs: [] };
  const limit = Math.min(ctx.pace.settings.attemptsPerService, t.attempts);
  try {
    const why = await login.untestable();
    if (why) return { ...result, skipped: typeof why === "string" ? why : why.noPasswordLogin };
  } catch (err) {
    if (endsTheCheck(err)) throw err;
    return { ...result, inconclusive: reasonOf(err as TransportError) };
  }
  for (let i = 0; i < limit; i++) {
    ctx.progress(`${label(target)}: wrong password ${i + 1} of ${limit}`);
    const got = await attemptOrSilence(ctx, login, username);
    result.attempts++;
    if (got.answer === "success") return { ...result, skipped: "it accepted a random password: it has no password to protect" };
    if (got.answer === "rejected") {
      result.timingsMs.push(got.ms);
      continue;
    }
    // A refusal or silence before any wrong password was answered says nothing about lockouts
    if (!result.timingsMs.length) return { ...result, inconclusive: `no wrong password was answered (${got.why})` };
    const how = got.answer === "refused" ? `it refused the login: ${got.why}` : `it stopped answering: ${got.why}`;
    return { ...result, protection: "locks-out", lockout: `after ${result.timingsMs.length} wrong password${result.timingsMs.length > 1 ? "s" : ""} ${how}` };
  }
  const times = result.timingsMs;
  if (times.length < t.minAnswered) return { ...result, inconclusive: `only ${times.length} of ${result.attempts} wrong passwords were answered` };
  const baselineMs = median(times.slice(0, t.window));
  const recentMs = median(times.slice(-t.window));
  const medianMs = median(times);
  Object.assign(result, { baselineMs, recentMs, medianMs });
  if (recentMs >= t.slowdown.factor * baselineMs && recentMs - baselineMs >= t.slowdown.minMs) return { ...result, protection: "slows-down" };
  if (medianMs < t.failureDelayMs) return { ...result, protection: "none" };
  ctx.progress(`${label(target)}: ${t.parallel.attempts} wrong passwords at once`);
  const parallel = await parallelBurst(login, username, t.parallel.attempts, medianMs, t.parallel.bypassFactor);
  return { ...result, protection: "delays-failures", parallel };
}

/** What the credential check saw: the login locked out after its attempts. */
function seenLockout(ctx: CheckContext, l: LoginLockout): ServiceResult {
  const target = l.login as LoginTarget;
  return {
    target, username: usernameFor(ctx, target), attempts: 0, timingsMs: [], protection: "locks-out",
    lockout: `seen by credentials.default-passwords: after ${l.attempts} attempt${l.attempts > 1 ? "s" : ""} ${l.how}`,
  };
}

const sameLogin = (a: LoginTarget, b: LoginLockout["login"]) => a.kind === b.kind && a.port === b.port && a.path === b.path && a.name === b.name;

function findingsOf(r: ServiceResult): FindingInput[] {
  const target = { transport: "tcp" as const, port: r.target.port, service: r.target.name };
  const evidence = {
    service: r.target.name, port: r.target.port, username: r.username, attempts: r.attempts,
    answered: r.timingsMs.length, timingsMs: r.timingsMs, medianMs: r.medianMs, baselineMs: r.baselineMs, recentMs: r.recentMs,
  };
  if (r.protection === "none") {
    return [{
      severity: "medium",
      // Measurements stay in the evidence: a title names the problem, the same from run to run (iotcert diff)
      title: `${label(r.target)} answers wrong passwords at full speed, with no lockout or slow-down`,
      target, evidence,
    }];
  }
  if (r.protection === "delays-failures" && r.parallel?.perConnection) {
    const p = r.parallel;
    return [{
      severity: "low",
      title: `${label(r.target)} delays each wrong password only per connection: several sent at once are answered at once`,
      target, evidence: { ...evidence, parallel: p },
    }];
  }
  return [];
}

function describeResult(r: ServiceResult): string {
  if (r.skipped) return `${label(r.target)}: not tested (${r.skipped})`;
  if (r.inconclusive) return `${label(r.target)}: ${r.inconclusive}`;
  switch (r.protection) {
    case "locks-out": return `${label(r.target)} locks out (${r.lockout})`;
    case "slows-down": return `${label(r.target)} slows down (${r.baselineMs} ms, then ${r.recentMs} ms)`;
    case "delays-failures": return `${label(r.target)} delays each wrong password (median ${r.medianMs} ms${r.parallel?.perConnection ? ", per connection only" : ""})`;
    default: return `${label(r.target)} keeps answering at full speed (median ${r.medianMs} ms)`;
  }
}

function outcomeOf(results: ServiceResult[], silent: string[]): Outcome {
  const findings = results.flatMap(findingsOf);
  const evidence = {
    ...(silent.length ? { silentPorts: silent } : {}),
    services: results.map((r) => ({
      service: r.target.name, port: r.target.port, username: r.username, attempts: r.attempts, answered: r.timingsMs.length,
      timingsMs: r.timingsMs,
      ...(r.protection ? { protection: r.protection } : {}),
      ...(r.medianMs !== undefined ? { baselineMs: r.baselineMs, recentMs: r.recentMs, medianMs: r.medianMs } : {}),
      ...(r.lockout ? { lockout: r.lockout } : {}),
      ...(r.parallel ? { parallel: r.parallel } : {}),
      ...(r.skipped ? { skipped: r.skipped } : {}),
      ...(r.inconclusive ? { inconclusive: r.inconclusive } : {}),
    })),
  };
  const summary = [...results.map(describeResult), ...silent.map((s) => `${s}: any login there is untested`)].join("; ");
  if (results.some((r) => r.protection === "none")) return { verdict: "fail", summary, findings, evidence };
  if (results.some((r) => r.inconclusive) || silent.length) return { verdict: "inconclusive", summary, findings, evidence };
  if (results.every((r) => r.skipped)) return { verdict: "not-applicable", summary: summary || "no password login exposed", evidence };
  return { verdict: "pass", summary, findings, evidence };
}

export const bruteforceProtection: Check = {
  id: "credentials.bruteforce-protection",
  title: "Brute-force protection on logins",
  description:
    "Sends a series of wrong passwords (random, for the declared user name or \"admin\") to every password login the " +
    "service scans found — telnet, SSH, FTP, HTTP Basic, MQTT — one connection each, and times every answer. Passes " +
    "a login that locks out (a refusal, or it stops answering after wrong passwords), slows down (the last answers " +
    "several times slower than the first) or delays every failure by about a second or more; fails one that answers " +
    "them all at full speed. A delayed login is then sent a few wrong passwords at once: a delay that holds per " +
    "connection only is a low finding. Thresholds in harness/data/bruteforce-protection.yaml. A refused, reset or " +
    "silent connection before any answer is never a wrong password: inconclusive, with the answers really counted, as is " +
    "an open port that never spoke. " +
    "It may lock the real account out for a while; nothing is changed on the device. SNMP is left out (a wrong " +
    "community gets no answer to time). A login that credentials.default-passwords saw begin refusing (a web form or HTTP " +
    "login answering 429, Retry-After, or a 5xx after a burst) counts as locking out and is sent nothing more.",
  effect: "intrusive",
  needs: ["ip"],
  consumes: ["tcp.services", "credentials.lockouts"],
  timeoutMs: 30 * 60_000,

  plan(device, pace) {
    const address = device.network?.address;
    if (!address) return [];
    const t = thresholds();
    const count = `up to ${Math.min(pace.settings.attemptsPerService, t.attempts)} wrong passwords, then ${t.parallel.attempts} at once if each was delayed`;
    return [{ address, port: "each telnet, SSH, FTP, HTTP Basic and MQTT login found", protocol: "login", count, note: "one connection per attempt; may lock the account out" }];
  },

  async run(ctx) {
    const services = ctx.facts.get("tcp.services");
    const host = ctx.device.network?.address;
    if (!services || !host) return { verdict: "inconclusive", summary: "the service scan did not run or found nothing to test" };
    const lockouts = ctx.facts.get("credentials.lockouts") ?? [];
    const targets = loginTargets(services).filter((t) => !lockouts.some((l) => sameLogin(t, l.login)));
    const silent = silentPorts(services);
    if (!targets.length && !lockouts.length && !silent.length) return { verdict: "not-applicable", summary: "no password login exposed" };
    const t = thresholds();
    const results: ServiceResult[] = lockouts.map((l) => seenLockout(ctx, l));
    for (const target of targets) results.push(await probeService(ctx, host, target, t));
    return outcomeOf(results, silent);
  },
};
