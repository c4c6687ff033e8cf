// FTP logins (harness/transports/ftp.ts). Anonymous access is asked first, through the Login's
// anonymous() hook: the check reports it as its own finding ("accepts anonymous logins") before any
// pair of the lists is tried. "anonymous" stays in the lists too (iot-defaults.csv), harmlessly.
import type { CheckContext } from "../../../core/types.js";
import { ftpLogin } from "../../../transports/ftp.js";
import { REPLY_TIMEOUT_MS, type Login, type LoginTarget } from "./login.js";

/** vsftpd waits delay_failed_login seconds (3-5 in practice) before its 530. */
const PASS_REPLY_TIMEOUT_MS = 2 * REPLY_TIMEOUT_MS;

/**
 * RFC 1635: user "anonymous", an e-mail address as the password. Servers that take an empty
 * password take any; some insist on something e-mail shaped, so one such address covers both.
 */
export const ANONYMOUS = { username: "anonymous", password: "iotcert@example.com" };

export function ftpLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const timing = { connectTimeoutMs: ctx.pace.settings.connectTimeoutMs, replyTimeoutMs: REPLY_TIMEOUT_MS, passReplyTimeoutMs: PASS_REPLY_TIMEOUT_MS };
  // A fresh connection per attempt: vsftpd hangs up after three failures on one connection
  const attempt = async (candidate: { username: string; password: string }) => {
    const { result, transcript } = await ftpLogin(ctx, host, t.port, candidate, timing);
    return { verdict: result, transcript };
  };
  return {
    untestable: async () => undefined,
    anonymous: () => attempt(ANONYMOUS),
    attempt,
  };
}
