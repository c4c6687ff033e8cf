// HTTP logins by Basic or Digest authentication: a page that answers 401 without credentials and
// 2xx/3xx with them. One that begins refusing (a 429, Retry-After, a 5xx after a burst of 401s:
// lockout.ts) stops the attempts at once.
import type { CheckContext } from "../../../core/types.js";
import { DigestSession, parseDigestChallenge } from "../../../transports/digest-auth.js";
import { basicAuthHeader, httpGet, type HttpResponse } from "../../../transports/http.js";
import { RefusalWatch } from "./lockout.js";
import { REPLY_TIMEOUT_MS, type Answer, type Login, type LoginTarget } from "./login.js";

const PAGE_BYTES = 4096;

export function httpAuthLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const path = t.path ?? "/";
  const get = (headers?: Record<string, string>): Promise<HttpResponse> => httpGet(ctx, {
    host, port: t.port, tls: t.tls, path, maxBytes: PAGE_BYTES,
    timeoutMs: ctx.pace.settings.connectTimeoutMs + REPLY_TIMEOUT_MS,
    ...(headers ? { headers } : {}),
  });
  let digest: DigestSession | undefined;
  const watch = new RefusalWatch([401, 403]);
  const judged = (res: HttpResponse, username: string): Answer => {
    if (res.status >= 200 && res.status < 400) return { verdict: "success" };
    const refusal = watch.judge(res, username);
    if (refusal.kind === "ordinary") return { verdict: "rejected" };
    if (refusal.kind === "lockout") return { verdict: "untestable", reason: `the login began refusing (${refusal.how})`, lockout: true };
    return { verdict: "untestable", reason: `it answered ${res.status} to a login attempt` };
  };
  return {
    // Only a page that refuses us without credentials shows whether a credential made the difference
    untestable: async () => {
      const res = await get();
      if (res.status !== 401) return `${path} answered ${res.status} without credentials, not 401`;
      if (t.scheme !== "digest") return undefined;
      const challenge = parseDigestChallenge(res.headers["www-authenticate"]);
      if (!challenge) return `${path} asks for Digest authentication with a challenge iotcert cannot answer`;
      digest = new DigestSession(challenge);
      return undefined;
    },
    attempt: async (candidate) => {
      if (digest) return judged(await digest.send(candidate, "GET", path, (authorization) => get({ authorization }), (res) => res.headers["www-authenticate"]), candidate.username);
      return judged(await get({ authorization: basicAuthHeader(candidate.username, candidate.password) }), candidate.username);
    },
  };
}
