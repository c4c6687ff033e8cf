// SSH logins (ssh2 client, harness/transports/ssh.ts): password and keyboard-interactive. The
// server's answer to a "none" request lists the methods it takes; one that takes neither of ours
// (public keys only) has no password to guess.
import type { CheckContext } from "../../../core/types.js";
import { REPLY_TIMEOUT_MS, type Login, type LoginTarget } from "./login.js";

/** The user name of the first "none" request: any name does, the server answers with its methods. */
const PROBE_USER = "root";
const GUESSABLE = ["password", "keyboard-interactive"];
/** Dropbear, the SSH server of most embedded Linux, drops a sixth unauthenticated connection from one address. */
const SSH_LANES = 4;

/** The reason a key-only service cannot be tested; also how it is recognised by the check. */
export const KEYS_ONLY = "it accepts public keys only";

/** ssh2 takes longer to load than most runs spend on SSH; only a run with an SSH service pays. */
const sshTransport = () => import("../../../transports/ssh.js");

export function sshLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const timing = { connectTimeoutMs: ctx.pace.settings.connectTimeoutMs, replyTimeoutMs: REPLY_TIMEOUT_MS };
  let methods: string[] = [];
  return {
    lanes: SSH_LANES,
    // A service that takes only public keys has no default password to find: it is not a service
    // we failed to test but one that cannot have this flaw.
    untestable: async () => {
      const { sshAuthMethods } = await sshTransport();
      const offered = await sshAuthMethods(ctx, host, t.port, PROBE_USER, timing);
      if (offered === "none") return `it let "${PROBE_USER}" in without any credential`;
      methods = offered;
      if (offered.some((m) => GUESSABLE.includes(m))) return undefined;
      if (offered.length === 1 && offered[0] === "publickey") return { noPasswordLogin: KEYS_ONLY };
      return `it offers no password login (methods: ${offered.join(", ") || "none"})`;
    },
    attempt: async (candidate) => {
      const { sshLogin } = await sshTransport();
      const answer = await sshLogin(ctx, host, t.port, candidate, methods, timing);
      if (answer.result === "success") return { verdict: "success", transcript: `accepted by ${answer.method} authentication` };
      return { verdict: "rejected" };
    },
  };
}
