// RTSP logins (cameras): a DESCRIBE of the stream that answers 401 without credentials, and 200
// with them, by Basic or Digest authentication as the camera asks. A stream that answers 200
// without any credentials is open to anyone: the anonymous hook reports it, and no pair is tried.
import type { CheckContext } from "../../../core/types.js";
import { DigestSession, parseDigestChallenge } from "../../../transports/digest-auth.js";
import { basicAuthHeader } from "../../../transports/http.js";
import { rtspRequest, type RtspAnswer } from "../../../transports/rtsp.js";
import { REPLY_TIMEOUT_MS, type Answer, type Login, type LoginTarget } from "./login.js";

export function rtspLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const url = `rtsp://${host.includes(":") ? `[${host}]` : host}:${t.port}${t.path ?? "/"}`;
  const describe = (authorization?: string): Promise<RtspAnswer> => rtspRequest(ctx, {
    host, port: t.port, method: "DESCRIBE", url,
    headers: { Accept: "application/sdp", ...(authorization ? { Authorization: authorization } : {}) },
    timeoutMs: ctx.pace.settings.connectTimeoutMs + REPLY_TIMEOUT_MS,
  });
  let digest: DigestSession | undefined;
  let open = false;
  const judged = (a: RtspAnswer): Answer => {
    if (a.status === 200) return { verdict: "success" };
    if (a.status === 401 || a.status === 403) return { verdict: "rejected" };
    return { verdict: "untestable", reason: `it answered ${a.status} to a DESCRIBE with credentials` };
  };
  return {
    untestable: async () => {
      const answer = await describe();
      open = answer.status === 200;
      if (open) return undefined;
      if (answer.status !== 401) return `DESCRIBE ${t.path ?? "/"} answered ${answer.status} without credentials, not 401`;
      const offered = answer.headers["www-authenticate"] ?? "";
      const challenge = parseDigestChallenge(offered);
      if (challenge) digest = new DigestSession(challenge);
      if (challenge || /^\s*Basic\b/i.test(offered)) return undefined;
      return `it asks for an authentication iotcert cannot answer (${offered.slice(0, 40) || "no WWW-Authenticate"})`;
    },
    anonymous: async () => (open
      ? { verdict: "success", transcript: `DESCRIBE ${url} without credentials: 200, the stream's description` }
      : { verdict: "rejected" }),
    attempt: async (candidate) => judged(digest
      ? await digest.send(candidate, "DESCRIBE", url, describe, (a) => a.headers["www-authenticate"])
      : await describe(basicAuthHeader(candidate.username, candidate.password))),
  };
}
