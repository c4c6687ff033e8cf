// Web form logins: the descriptor's loginForms, and the logins of known stacks that
// form-library.ts recognised (harness/data/form-logins.yaml). A POST of the form's fields, judged
// by its success conditions. A random pair must fail them first: conditions a wrong password also
// meets would make every pair look like a default password. A login that begins refusing (a
// lockout, a rate limit: lockout.ts) stops the attempts at once.
import { randomBytes } from "node:crypto";
import type { CheckContext } from "../../../core/types.js";
import { httpRequest, type HttpResponse } from "../../../transports/http.js";
import { belowKnownLockout, RefusalWatch } from "./lockout.js";
import { REPLY_TIMEOUT_MS, type Answer, type Login, type LoginTarget } from "./login.js";

const PAGE_BYTES = 64 * 1024;

/** Conditions an answer meets; every one given must hold. */
export interface AnswerShape {
  status?: number;
  locationIncludes?: string;
  bodyIncludes?: string;
  setsCookie?: string;
  /** A top-level key of the JSON body with a non-empty value (an OAuth access_token). */
  jsonKey?: string;
}

/** A lockout the stack implements: this many attempts in the window, per user name or for the whole login. */
export interface KnownLockout {
  attempts: number;
  per: "username" | "login";
  windowSeconds: number;
  shows?: AnswerShape;
}

/** A web login as the driver sends it, from the descriptor or the library. */
export interface WebForm {
  /** What the report calls it: the library entry's product, or "the descriptor's form". */
  product: string;
  path: string;
  contentType: "application/x-www-form-urlencoded" | "application/json";
  usernameField: string;
  passwordField: string;
  fields: Record<string, string>;
  success: AnswerShape;
  failureStatuses?: number[];
  lockout?: KnownLockout;
}

function jsonBody(res: HttpResponse): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(res.body.toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an answer meets every condition of `shape`. */
export function meets(shape: AnswerShape, res: HttpResponse): boolean {
  const { status, locationIncludes, bodyIncludes, setsCookie, jsonKey } = shape;
  if (status !== undefined && res.status !== status) return false;
  if (locationIncludes !== undefined && !(res.headers.location ?? "").includes(locationIncludes)) return false;
  if (bodyIncludes !== undefined && !res.body.toString("utf8").includes(bodyIncludes)) return false;
  // Only the first Set-Cookie header is kept by the transport: enough for a session cookie
  if (setsCookie !== undefined && !new RegExp(`^\\s*${setsCookie.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}=`).test(res.headers["set-cookie"] ?? "")) return false;
  if (jsonKey !== undefined) {
    const value = jsonBody(res)?.[jsonKey];
    if (value === undefined || value === null || value === "") return false;
  }
  return true;
}

export function formLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const form = t.form!;
  const post = (pair: { username: string; password: string }) => {
    const values = { ...form.fields, [form.usernameField]: pair.username, [form.passwordField]: pair.password };
    return httpRequest(ctx, "POST", {
      host, port: t.port, tls: t.tls, path: form.path, maxBytes: PAGE_BYTES,
      timeoutMs: ctx.pace.settings.connectTimeoutMs + REPLY_TIMEOUT_MS,
      headers: { "content-type": form.contentType, accept: "application/json, text/html" },
      body: form.contentType === "application/json" ? JSON.stringify(values) : new URLSearchParams(values).toString(),
    });
  };
  const shows = form.lockout?.shows;
  const watch = new RefusalWatch(form.failureStatuses, shows ? { shows: (res) => meets(shows, res), name: form.product } : undefined);
  const judged = (res: HttpResponse, username: string): Answer => {
    if (meets(form.success, res)) return { verdict: "success", transcript: `answered ${res.status}${res.headers.location ? ` to ${res.headers.location.slice(0, 120)}` : ""}` };
    const refusal = watch.judge(res, username);
    if (refusal.kind === "lockout") return { verdict: "untestable", reason: `the login began refusing (${refusal.how})`, lockout: true };
    if (refusal.kind === "other" && res.status >= 500) return { verdict: "untestable", reason: `the form answered ${res.status}` };
    return { verdict: "rejected" };
  };
  return {
    untestable: async () => {
      const nobody = { username: `iotcert-${randomBytes(4).toString("hex")}`, password: randomBytes(12).toString("base64url") };
      const res = await post(nobody);
      if (meets(form.success, res)) return `a random user name and password meet the success conditions for ${form.path}: they cannot tell a login`;
      const refusal = watch.judge(res, nobody.username);
      if (refusal.kind === "lockout") return `the login refuses every attempt already (${refusal.how})`;
      if (res.status >= 500) return `the form answered ${res.status} to a login`;
      return undefined;
    },
    limit: (candidates) => belowKnownLockout(form.lockout, form.product, candidates),
    attempt: async (candidate) => judged(await post(candidate), candidate.username),
  };
}
