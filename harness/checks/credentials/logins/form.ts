// Web form logins the descriptor describes (loginForms): a POST of the form's fields, judged by
// the success conditions the lab wrote. A random pair must fail them first: conditions a wrong
// password also meets would make every pair look like a default password.
import { randomBytes } from "node:crypto";
import type { CheckContext } from "../../../core/types.js";
import type { FormLogin } from "../../../schema/types.js";
import { httpRequest, type HttpResponse } from "../../../transports/http.js";
import { REPLY_TIMEOUT_MS, type Answer, type Login, type LoginTarget } from "./login.js";

const PAGE_BYTES = 64 * 1024;

/** Whether an answer meets every success condition of the form. */
export function meetsSuccess(form: FormLogin, res: HttpResponse): boolean {
  const { status, locationIncludes, bodyIncludes, setsCookie } = form.success;
  if (status !== undefined && res.status !== status) return false;
  if (locationIncludes !== undefined && !(res.headers.location ?? "").includes(locationIncludes)) return false;
  if (bodyIncludes !== undefined && !res.body.toString("utf8").includes(bodyIncludes)) return false;
  // Only the first Set-Cookie header is kept by the transport: enough for a session cookie
  if (setsCookie !== undefined && !new RegExp(`^\\s*${setsCookie.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}=`).test(res.headers["set-cookie"] ?? "")) return false;
  return true;
}

export function formLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const form = t.form!;
  const url = new URL(form.url);
  const post = (pair: { username: string; password: string }) => httpRequest(ctx, "POST", {
    host, port: t.port, tls: t.tls, path: url.pathname + url.search, maxBytes: PAGE_BYTES,
    timeoutMs: ctx.pace.settings.connectTimeoutMs + REPLY_TIMEOUT_MS,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...form.fields, [form.usernameField]: pair.username, [form.passwordField]: pair.password }).toString(),
  });
  const judged = (res: HttpResponse): Answer => {
    if (meetsSuccess(form, res)) return { verdict: "success", transcript: `answered ${res.status}${res.headers.location ? ` to ${res.headers.location.slice(0, 120)}` : ""}` };
    if (res.status >= 500) return { verdict: "untestable", reason: `the form answered ${res.status}` };
    return { verdict: "rejected" };
  };
  return {
    untestable: async () => {
      const nobody = { username: `iotcert-${randomBytes(4).toString("hex")}`, password: randomBytes(12).toString("base64url") };
      const res = await post(nobody);
      if (meetsSuccess(form, res)) return `a random user name and password meet the descriptor's success conditions for ${url.pathname}: they cannot tell a login`;
      if (res.status >= 500) return `the form answered ${res.status} to a login`;
      return undefined;
    },
    attempt: async (candidate) => judged(await post(candidate)),
  };
}
