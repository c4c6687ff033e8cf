// Trying default credentials at a serial console's login prompt, with the same candidates, order
// and attempt limit as the network logins (credentials/credential-list.ts). A console is one
// session: after a wrong password the device asks again on the same line, so the dialogue goes
// on from whichever prompt the last answer ended with.
import type { CheckContext } from "../../core/types.js";
import type { SerialConsole } from "../../transports/serial.js";
import { candidatesFor, type Candidate } from "../credentials/credential-list.js";
import { identifyShell, readToPrompt, type PromptStep, type ShellIdentity, type Transcript } from "./console-dialogue.js";

/** Devices pause after a wrong password before they ask again (busybox login waits 3 s). */
export const REPLY_TIMEOUT_MS = 5000;

export interface SerialLoginResult {
  candidates: number;
  /** Attempts that got an answer (a shell, or a new prompt). */
  tried: number;
  accepted?: { candidate: Candidate; attemptsBefore: number; shell: ShellIdentity };
  /** Declared per-unit credentials that worked: expected, not a finding. */
  uniqueAccepted: Candidate[];
  /** Why the attempts ended before the list did, without a success. */
  stopped?: string;
}

/** A prompt-only console (sulogin's "Give root password") takes each distinct password once. */
function byPassword(candidates: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => !seen.has(c.password) && !!seen.add(c.password));
}

/**
 * Read to the next prompt; if none comes, press Enter once — a getty that respawned after too
 * many failures shows its prompt again only when asked.
 */
async function nextPrompt(con: SerialConsole, transcript: Transcript): Promise<PromptStep> {
  const step = await readToPrompt(con, transcript, REPLY_TIMEOUT_MS);
  if (step.prompt || step.end === "closed") return step;
  await con.write("\r");
  return readToPrompt(con, transcript, REPLY_TIMEOUT_MS);
}

async function attempt(con: SerialConsole, transcript: Transcript, at: "login" | "password", candidate: Candidate): Promise<PromptStep> {
  if (at === "login") {
    await con.write(`${candidate.username}\r`);
    const asked = await nextPrompt(con, transcript);
    if (asked.prompt !== "password") return asked;
  }
  await con.write(`${candidate.password}\r`);
  return nextPrompt(con, transcript);
}

/**
 * Log in with each candidate from the prompt the console shows (`at`) until one works or the
 * list or the pace's attempt limit ends. A shell is identified with `id`, then logged out of
 * with `exit`: a lab must not leave a logged-in console behind.
 */
export async function tryDefaultLogins(ctx: CheckContext, con: SerialConsole, transcript: Transcript, at: "login" | "password"): Promise<SerialLoginResult> {
  const all = candidatesFor(ctx.device, ctx.options, { name: "serial", kind: "telnet" }, ctx.pace.settings.attemptsPerService);
  const candidates = at === "password" ? byPassword(all) : all;
  const result: SerialLoginResult = { candidates: candidates.length, tried: 0, uniqueAccepted: [] };
  let prompt: "login" | "password" = at;
  for (const candidate of candidates) {
    ctx.progress(`${con.path}: login pair ${result.tried + 1} of ${candidates.length}`);
    ctx.log.debug({ path: con.path, username: candidate.username, password: candidate.password, source: candidate.source }, "serial login attempt");
    const answer = await attempt(con, transcript, prompt, candidate);
    if (answer.prompt === "login" || answer.prompt === "password") {
      result.tried++;
      prompt = answer.prompt;
      continue;
    }
    if (answer.prompt !== "shell") {
      result.stopped = answer.prompt === "bootloader"
        ? `the console dropped to a bootloader prompt after attempt ${result.tried + 1}`
        : `no prompt after attempt ${result.tried + 1} (${answer.end})`;
      return result;
    }
    result.tried++;
    const shell = await identifyShell(con, transcript, answer.text, REPLY_TIMEOUT_MS);
    await con.write("exit\r");
    ctx.log.info({ path: con.path, username: candidate.username, source: candidate.source, unique: candidate.unique }, "serial login accepted");
    if (!candidate.unique) {
      result.accepted = { candidate, attemptsBefore: result.tried - 1, shell };
      return result;
    }
    // A per-unit credential working is how it should be; the shared ones must still be tried
    result.uniqueAccepted.push(candidate);
    const again = await nextPrompt(con, transcript);
    if (again.prompt !== "login" && again.prompt !== "password") {
      result.stopped = `no login prompt after logging out of the declared per-unit account (${again.end})`;
      return result;
    }
    prompt = again.prompt;
  }
  return result;
}
