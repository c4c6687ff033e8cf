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
  notChanges: number[];
  spare: number;
}

export function lockoutRules(): LockoutRules {
  return loadData<LockoutRules>("login-lockout.yaml");
}

/** Retry-After is a number of seconds or an HTTP date: kept only in those shapes. */
const retryAfterOf = (res: HttpResponse) => /^\s*(\d{1,9}|[A-Za-z]{3}, [0-9A-Za-z: ]{10,30})\s*$/.exec(res.headers["retry-after"] ?? "")?.[1];

export type Refusal = { kind: "ordinary" } | { kind: "lockout"; how: string } | { kind: "other" };

/**
 * Watches the refusals of one login. An ordinary refusal has the login's failure status (given,
 * or the status of the user name's first refusal). After `burst` ordinary refusals a 5xx is the
 * login changing its mind, and so is another refusal for a user name refused `burst` times
 * (lockouts are per account): a lockout. A 429, a Retry-After or the stack's own lockout answer
 * is one at any time. "other": neither, for the driver to judge (a broken login, a refusal).
 */
export class RefusalWatch {
  readonly #rules = lockoutRules();
  readonly #users = new Map<string, { status: number; count: number }>();
  #ordinary = 0;

  constructor(
    private readonly failureStatuses?: number[],
    /** The stack's own lockout answer, and what to call it. */
    private readonly known?: { shows: (res: HttpResponse) => boolean; name: string },
  ) {}

  judge(res: HttpResponse, username: string): Refusal {
    const { status } = res;
    if (this.#rules.refusingStatuses.includes(status)) return { kind: "lockout", how: `HTTP ${status}` };
    const retryAfter = retryAfterOf(res);
    if (retryAfter) return { kind: "lockout", how: `HTTP ${status} with Retry-After: ${retryAfter}` };
    if (this.known?.shows(res)) return { kind: "lockout", how: `HTTP ${status}, ${this.known.name}'s answer to too many attempts` };
    const user = this.#users.get(username);
    const ordinary = this.failureStatuses ? this.failureStatuses.includes(status) : status < 500 && (!user || status === user.status);
    if (ordinary) {
      this.#users.set(username, { status, count: (user?.count ?? 0) + 1 });
      this.#ordinary++;
      return { kind: "ordinary" };
    }
    if (status >= 500 && this.#ordinary >= this.#rules.burst) return { kind: "lockout", how: `HTTP ${status} after ${this.#ordinary} refusals` };
    if (status < 500 && user && user.count >= this.#rules.burst && !this.#rules.notChanges.includes(status)) {
      return { kind: "lockout", how: `HTTP ${status} after ${user.count} refusals with HTTP ${user.status} for the same user name` };
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
