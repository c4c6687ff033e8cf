// Telnet logins: told by what follows the password (harness/transports/telnet.ts).
import type { CheckContext } from "../../../core/types.js";
import { telnetLogin } from "../../../transports/telnet.js";
import { REPLY_TIMEOUT_MS, type Login, type LoginTarget } from "./login.js";

export function telnetLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const timing = { connectTimeoutMs: ctx.pace.settings.connectTimeoutMs, replyTimeoutMs: REPLY_TIMEOUT_MS };
  return {
    untestable: async () => undefined,
    attempt: async (candidate) => {
      const { result, transcript } = await telnetLogin(ctx, host, t.port, candidate, timing);
      if (result === "no-prompt") return { verdict: "untestable", reason: `it asked for no login name (it said "${transcript.slice(0, 120)}")` };
      return { verdict: result, transcript };
    },
  };
}
