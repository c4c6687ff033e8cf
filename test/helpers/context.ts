// A real check context for running one check in a test: the scope guard from the descriptor, a
// real pace, fact store and probe ledger, a silent logger.
import { setMaxListeners } from "node:events";
import pino from "pino";
import { Evidence, ProbeLedger, type ProbeCount } from "../../harness/core/evidence.js";
import { FactStore, type FactMap } from "../../harness/core/facts.js";
import { Pace } from "../../harness/core/pace.js";
import { Scope } from "../../harness/core/scope.js";
import type { CheckContext, RunOptions } from "../../harness/core/types.js";
import type { Descriptor, Profile } from "../../harness/schema/types.js";

const PROFILE: Profile = { id: "test", title: "test profile", levels: ["low"], provisions: [] };

export interface TestContext extends CheckContext {
  /** Aborts ctx.signal, as the engine does on Ctrl-C or a time limit. */
  abort(reason?: unknown): void;
  ledger: ProbeLedger;
}

export function makeContext(opts: {
  device: Descriptor;
  checkId?: string;
  facts?: Partial<FactMap>;
  pace?: Pace;
  options?: Partial<RunOptions>;
  /** Replaces the scope the descriptor gives, to test the guard itself. */
  scope?: Scope;
  ledger?: ProbeLedger;
}): TestContext {
  const facts = new FactStore();
  for (const [key, value] of Object.entries(opts.facts ?? {}) as [keyof FactMap, FactMap[keyof FactMap]][]) facts.set(key, value);
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const ledger = opts.ledger ?? new ProbeLedger();
  const checkId = opts.checkId ?? "test.check";
  return {
    checkId,
    device: opts.device,
    profile: PROFILE,
    scope: opts.scope ?? Scope.fromDescriptor(opts.device, opts.options?.siblings),
    pace: opts.pace ?? Pace.named("fast"),
    log: pino({ level: "silent" }),
    facts,
    evidence: new Evidence(checkId, ledger),
    signal: controller.signal,
    options: { allowFragile: false, stateChanging: false, ...opts.options },
    progress: () => {},
    abort: (reason) => controller.abort(reason),
    ledger,
  };
}

/** The ledger's lines without their times, for asserting what was sent (times: test/cli.test.ts). */
export function sentProbes(ledger: ProbeLedger): Omit<ProbeCount, "firstAt" | "lastAt" | "answered">[] {
  return ledger.all().map(({ firstAt: _first, lastAt: _last, answered: _answered, ...sent }) => sent);
}
