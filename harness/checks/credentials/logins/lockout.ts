// When a web login has begun refusing logins instead of judging them — a lockout or a rate limit —
// by the rules of harness/data/login-lockout.yaml, and how far below a lockout a stack documents
// (form-logins.yaml) the credential check stays so the real account is never locked out.
import { loadData } from "../../../core/data.js";
import type { HttpResponse } from "../../../transports/http.js";
import type { Candidate } from "../credential-list.js";
import type { KnownLockout } from "./form.js";

interface LockoutRules {
  refusingStatuses: number[];
  burst: number;
  spare: number;
}

export function lockoutRules(): LockoutRules {
  const r = loadData<LockoutRules>("login-lockout.yaml");
  const counts = [r.burst, r.spare];
  if (!Array.isArray(r.refusingStatuses) || !r.refusingStatuses.every(Number.isInteger) || !counts.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new Error("harness/data/login-lockout.yaml: refusingStatuses must be a list of HTTP statuses, burst and spare whole numbers");
  }
  return r;
}

/** Retry-After is a number of seconds or an HTTP date: kept only in those shapes. */
const retryAfterOf = (res: HttpResponse) => /^\s*(\d{1,9}|[A-Za-z]{3}, [0-9A-Za-z: ]{10,30})\s*$/.exec(res.headers["retry-after"] ?? "")?.[1];

export type Refusal = { kind: "ordinary" } | { kind: "lockout"; how: string } | { kind: "other" };

/**
 * Watches the refusals of one login. An ordinary refusal has the login's failure status (given,
 * or the status of its first refusal); after `burst` of them a 5xx or another refusal is the
 * login changing its mind: a lockout. A 429, a Retry-After or the stack's own lockout answer is
 * one at any time. "other": neither, for the driver to judge (a broken login, a plain refusal).
 */
export class RefusalWatch {
  readonly #rules = lockoutRules();
  #normal: number | undefined;
  #ordinary = 0;

  constructor(
    private readonly failureStatuses?: number[],
    /** The stack's own lockout answer, and what to call it. */
    private readonly known?: { shows: (res: HttpResponse) => boolean; name: string },
  ) {}

  judge(res: HttpResponse): Refusal {
    const { status } = res;
    if (this.#rules.refusingStatuses.includes(status)) return { kind: "lockout", how: `HTTP ${status}` };
    const retryAfter = retryAfterOf(res);
    if (retryAfter) return { kind: "lockout", how: `HTTP ${status} with Retry-After: ${retryAfter}` };
    if (this.known?.shows(res)) return { kind: "lockout", how: `HTTP ${status}, ${this.known.name}'s answer to too many attempts` };
    const ordinary = this.failureStatuses ? this.failureStatuses.includes(status) : status < 500 && (this.#normal === undefined || status === this.#normal);
    if (ordinary) {
      this.#normal ??= status;
      this.#ordinary++;
      return { kind: "ordinary" };
    }
    if (this.#ordinary >= this.#rules.burst) {
      const before = this.failureStatuses?.join("/") ?? String(this.#normal);
      return { kind: "lockout", how: `HTTP ${status} after ${this.#ordinary} refusals with HTTP ${before}` };
    }
    return { kind: "other" };
  }
}

/**
 * The candidates tried below a lockout the stack documents, `spare` attempts short of it, so the
 * owner can still log in; the rest are held back, with why. Counted per user name, or for the
 * whole login (where the random pair the form is checked with counts too).
 */
export function belowKnownLockout(lockout: KnownLockout | undefined, product: string, candidates: Candidate[]): { kept: Candidate[]; held?: { count: number; why: string } } {
  if (!lockout) return { kept: candidates };
  const { spare } = lockoutRules();
  const allowed = Math.max(0, lockout.attempts - spare - (lockout.per === "login" ? 1 : 0));
  const used = new Map<string, number>();
  const kept = candidates.filter((c) => {
    const key = lockout.per === "username" ? c.username : "";
    const n = used.get(key) ?? 0;
    used.set(key, n + 1);
    return n < allowed;
  });
  if (kept.length === candidates.length) return { kept };
  const per = lockout.per === "username" ? " per user name" : "";
  const minutes = lockout.windowSeconds % 60 ? `${lockout.windowSeconds} s` : `${lockout.windowSeconds / 60} minutes`;
  return {
    kept,
    held: {
      count: candidates.length - kept.length,
      why: `stopped after ${allowed} attempts${per}: ${product} refuses every login${per} after ${lockout.attempts} attempts in ${minutes}`,
    },
  };
}
