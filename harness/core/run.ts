// The run loop: plan → checks in dependency order (paced, time-limited, watched by the heartbeat)
// → grade → report. A check that throws is an `error`; an interrupted run still yields a report.
// A run that got no answer from the device at all is incomplete and its label "not-tested".
import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import type { Descriptor, Profile } from "../schema/types.js";
import { grade, NOT_TESTED } from "../grading/grade.js";
import { auditRecord, type RunInputs } from "./audit.js";
import { notReached } from "./contact.js";
import { fileSource } from "./file-source.js";
import { Evidence, ProbeLedger } from "./evidence.js";
import { FactStore } from "./facts.js";
import { Heartbeat } from "./heartbeat.js";
import type { Pace } from "./pace.js";
import { planRun } from "./plan.js";
import type { Registry } from "./registry.js";
import type { CheckResult, Report } from "./report.js";
import { Scope } from "./scope.js";
import type { Check, CheckContext, Finding, Outcome, RunOptions, Transport } from "./types.js";

export interface RunProgress {
  done: number;
  total: number;
  running: { id: string; detail?: string }[];
}

export interface RunRequest {
  device: Descriptor;
  profile: Profile;
  registry: Registry;
  pace: Pace;
  options: RunOptions;
  log: Logger;
  /** Aborting it (Ctrl-C) stops the run; the report comes back marked incomplete. */
  signal: AbortSignal;
  only?: string[];
  version: string;
  /** The files the inputs came from (descriptor, profile, attestations, lists, anchors…), for the report's audit record. */
  inputs?: RunInputs;
  onProgress?: (progress: RunProgress) => void;
}

const TRANSPORT_PRESENT: Record<Transport, (d: Descriptor) => boolean> = {
  ip: (d) => !!d.network,
  mqtt: (d) => !!d.mqtt,
  coap: (d) => !!d.coap || !!d.network,
  ble: (d) => !!d.ble,
  serial: (d) => !!d.serial,
};

/**
 * The inputs, with the capture the mud.* checks read hashed here when the caller did not; one
 * that cannot be read was not read by the checks either.
 */
async function withCapture(req: RunRequest): Promise<RunInputs | undefined> {
  const capture = req.options.mudCapture;
  if (capture === undefined || req.inputs?.mudCapture) return req.inputs;
  const source = await fileSource(capture).catch(() => undefined);
  return source ? { ...req.inputs, mudCapture: source } : req.inputs;
}

class CheckAborted extends Error {
  override readonly name = "CheckAborted";
}

interface Ran {
  check: Check;
  outcome: Outcome;
  durationMs: number;
}

export async function certify(req: RunRequest): Promise<Report> {
  const { device, profile, pace, log } = req;
  const startedAt = new Date().toISOString();
  const plan = planRun(profile, req.registry, req.only);
  const scope = Scope.fromDescriptor(device, req.options.siblings);
  const facts = new FactStore();
  const ledger = new ProbeLedger();
  const heartbeat = new Heartbeat(device, { scope, pace, signal: req.signal, evidence: new Evidence("engine.heartbeat", ledger), options: req.options }, log.child({ check: "engine.heartbeat" }));
  const results = new Map<string, Ran>();
  const running = new Map<string, { detail?: string }>();
  const engineFindings: Finding[] = [];

  const report = () => req.onProgress?.({
    done: results.size,
    total: plan.checks.length,
    running: [...running].map(([id, r]) => ({ id, ...r })),
  });

  const skip = (check: Check): Outcome | undefined => {
    const missing = check.needs.filter((t) => !TRANSPORT_PRESENT[t](device));
    if (missing.length) return { verdict: "not-applicable", summary: `the device has no ${missing.join(", ")} interface` };
    if (check.effect === "state-changing" && !req.options.stateChanging) {
      return { verdict: "inconclusive", summary: "not run: it may change the device, and --state-changing was not given" };
    }
    const dead = heartbeat.dead;
    if (dead) return { verdict: "inconclusive", summary: `not run: the device stopped answering during ${dead.during.join(", ")}` };
    return undefined;
  };

  const execute = async (check: Check): Promise<Outcome> => {
    const controller = new AbortController();
    // Every open connection listens on the check's signal; hundreds at once is by design.
    setMaxListeners(0, controller.signal);
    const onRunAbort = () => controller.abort(new CheckAborted("the run was interrupted"));
    req.signal.addEventListener("abort", onRunAbort, { once: true });
    const limitMs = check.timeoutMs ?? pace.settings.checkTimeoutMs;
    const timer = setTimeout(() => controller.abort(new CheckAborted(`exceeded its time limit of ${Math.round(limitMs / 1000)} s`)), limitMs);
    const watch = setInterval(() => {
      void heartbeat.beat(() => [...running.keys()]).then((alive) => {
        if (!alive) controller.abort(new CheckAborted("the device stopped answering during this check"));
      });
    }, pace.settings.heartbeatIntervalMs);
    const ctx: CheckContext = {
      checkId: check.id,
      device,
      profile,
      scope,
      pace,
      log: log.child({ check: check.id }),
      facts,
      evidence: new Evidence(check.id, ledger),
      signal: controller.signal,
      options: req.options,
      progress: (detail) => {
        running.set(check.id, { detail });
        report();
      },
    };
    // A check that ignores its signal must not hold the run: the abort settles the race.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
    });
    try {
      return await Promise.race([check.run(ctx), aborted]);
    } catch (err) {
      if (controller.signal.aborted) {
        const why = controller.signal.reason instanceof CheckAborted ? controller.signal.reason.message : "aborted";
        return { verdict: "inconclusive", summary: `stopped: ${why}` };
      }
      ctx.log.error({ err }, "check threw");
      return { verdict: "error", summary: `the check failed: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      clearTimeout(timer);
      clearInterval(watch);
      req.signal.removeEventListener("abort", onRunAbort);
    }
  };

  const runOne = async (check: Check): Promise<void> => {
    const started = performance.now();
    running.set(check.id, {});
    report();
    log.info({ check: check.id }, "check started");
    let outcome = skip(check) ?? (await execute(check));
    if (check.produces?.includes("tcp.open")) heartbeat.adopt(facts);
    if (!req.signal.aborted && !heartbeat.dead) await heartbeat.beat(() => [check.id, ...running.keys()]);
    if (heartbeat.dead && outcome.verdict === "pass") {
      outcome = { ...outcome, verdict: "inconclusive", summary: `${outcome.summary}; but the device stopped answering during this check` };
    }
    running.delete(check.id);
    results.set(check.id, { check, outcome, durationMs: Math.round(performance.now() - started) });
    log.info({ check: check.id, verdict: outcome.verdict, summary: outcome.summary }, "check finished");
    report();
  };

  // Schedule: start every check whose producers have finished, up to the pace's concurrency.
  const pending = [...plan.checks];
  const inFlight = new Set<Promise<void>>();
  while (pending.length && !req.signal.aborted) {
    const ready = pending.filter((c) => [...plan.waitsFor.get(c.id)!].every((dep) => results.has(dep)));
    for (const check of ready.slice(0, Math.max(0, pace.settings.checkConcurrency - inFlight.size))) {
      pending.splice(pending.indexOf(check), 1);
      const job: Promise<void> = runOne(check).finally(() => inFlight.delete(job));
      inFlight.add(job);
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }
  await Promise.all(inFlight);

  const dead = heartbeat.dead;
  if (dead) {
    engineFindings.push({
      check: "engine.heartbeat",
      severity: "high",
      title: `device stopped answering during ${dead.during.join(", ")}`,
      target: { transport: "tcp", ...(device.network ? { address: device.network.address } : {}), port: dead.port },
      evidence: { during: dead.during, port: dead.port, at: dead.at },
    });
  }
  const interrupted = req.signal.aborted;
  for (const check of pending) {
    results.set(check.id, { check, outcome: { verdict: "inconclusive", summary: "not run: the run was interrupted" }, durationMs: 0 });
  }

  const checks: CheckResult[] = plan.checks.map((c) => {
    const r = results.get(c.id)!;
    const { verdict, summary, evidence } = r.outcome;
    return { id: c.id, title: c.title, verdict, summary, durationMs: r.durationMs, ...(evidence ? { evidence } : {}) };
  });
  const findings: Finding[] = [
    ...plan.checks.flatMap((c) => (results.get(c.id)!.outcome.findings ?? []).map((f) => ({ check: c.id, ...f }))),
    ...engineFindings,
  ];
  const graded = grade(profile, new Map(checks.map((c) => [c.id, c.verdict])), device);
  const probes = ledger.all();
  // An interrupted run says so; one that ran to the end without an answer never tested the device.
  const unreached = interrupted ? undefined : notReached(device, probes);
  if (unreached) log.warn({ tried: unreached.tried }, "the device was not reached");
  const incompleteReason = interrupted
    ? String(req.signal.reason instanceof Error ? req.signal.reason.message : req.signal.reason ?? "interrupted")
    : unreached?.reason;
  const services = new Map((facts.get("tcp.services") ?? []).map((s) => [s.port, s]));

  return {
    schema: "iotcert/report@1",
    harness: { name: "iotcert", version: req.version },
    device: {
      id: device.id, vendor: device.vendor, model: device.model, firmware: device.firmware,
      ...(device.network ? { address: device.network.address } : {}),
    },
    profile: { id: profile.id, title: profile.title, levels: profile.levels },
    pace: pace.settings.name,
    audit: auditRecord(device, profile, pace.settings, req.options, req.only, await withCapture(req)),
    startedAt,
    finishedAt: new Date().toISOString(),
    complete: incompleteReason === undefined,
    ...(incompleteReason === undefined ? {} : { incompleteReason }),
    label: unreached ? { level: NOT_TESTED, heldBy: [], reason: unreached.reason } : graded.label,
    provisions: graded.provisions,
    checks,
    findings,
    surface: {
      tcp: (facts.get("tcp.open") ?? []).map((p) => {
        const s = services.get(p.port);
        return { ...p, ...(s ? { service: s.name, tls: s.tls, ...(s.product ? { product: s.product } : {}) } : {}) };
      }),
      udp: (facts.get("udp.services") ?? []).map(({ port, service, product }) => ({ port, service, ...(product ? { product } : {}) })),
      ...(facts.has("tls.certificates") ? { certificates: facts.get("tls.certificates")!.map(({ der: _der, ...rest }) => rest) } : {}),
    },
    probes,
    redacted: false,
  };
}
