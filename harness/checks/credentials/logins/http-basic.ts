// HTTP Basic logins: a page that answers 401 without credentials and 2xx/3xx with them.
import type { CheckContext } from "../../../core/types.js";
import { basicAuthHeader, httpGet } from "../../../transports/http.js";
import { REPLY_TIMEOUT_MS, type Login, type LoginTarget } from "./login.js";

const PAGE_BYTES = 4096;

export function httpBasicLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const path = t.path ?? "/";
  const get = async (headers?: Record<string, string>) => (await httpGet(ctx, {
    host, port: t.port, tls: t.tls, path, maxBytes: PAGE_BYTES,
    timeoutMs: ctx.pace.settings.connectTimeoutMs + REPLY_TIMEOUT_MS,
    ...(headers ? { headers } : {}),
  })).status;
  return {
    // Only a page that refuses us without credentials shows whether a credential made the difference
    untestable: async () => {
      const status = await get();
      return status === 401 ? undefined : `${path} answered ${status} without credentials, not 401`;
    },
    attempt: async (candidate) => {
      const status = await get({ authorization: basicAuthHeader(candidate.username, candidate.password) });
      if (status >= 200 && status < 400) return { verdict: "success" };
      if (status === 401 || status === 403) return { verdict: "rejected" };
      return { verdict: "untestable", reason: `it answered ${status} to a login attempt` };
    },
  };
}
