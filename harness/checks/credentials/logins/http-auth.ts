// HTTP logins by Basic or Digest authentication: a page that answers 401 without credentials and
// 2xx/3xx with them.
import type { CheckContext } from "../../../core/types.js";
import { DigestSession, parseDigestChallenge } from "../../../transports/digest-auth.js";
import { basicAuthHeader, httpGet, type HttpResponse } from "../../../transports/http.js";
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
  const judged = (status: number): Answer => {
    if (status >= 200 && status < 400) return { verdict: "success" };
    if (status === 401 || status === 403) return { verdict: "rejected" };
    return { verdict: "untestable", reason: `it answered ${status} to a login attempt` };
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
      if (digest) return judged((await digest.send(candidate, "GET", path, (authorization) => get({ authorization }), (res) => res.headers["www-authenticate"])).status);
      return judged((await get({ authorization: basicAuthHeader(candidate.username, candidate.password) })).status);
    },
  };
}
