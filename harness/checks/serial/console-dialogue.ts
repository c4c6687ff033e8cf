// The steps of talking to a serial console that both serial checks and the login share: read to
// the next prompt, say which shell answered, keep a bounded transcript for evidence.
import type { ReadEnd } from "../../transports/tcp.js";
import { escapeBytes } from "../../transports/tcp.js";
import type { SerialConsole } from "../../transports/serial.js";
import { promptOf, type ConsolePrompt } from "./console-text.js";

/** Text one step of a dialogue may produce before we stop waiting for its prompt. */
const STEP_BYTES = 16 * 1024;
/** Device text kept for evidence; a console dialogue that matters is far shorter. */
const TRANSCRIPT_BYTES = 4096;

/** Everything the console said during a check, bounded, for evidence. */
export class Transcript {
  #bytes = Buffer.alloc(0);
  #dropped = false;

  add(data: Buffer): void {
    const room = TRANSCRIPT_BYTES - this.#bytes.length;
    if (data.length > room) this.#dropped = true;
    if (room > 0) this.#bytes = Buffer.concat([this.#bytes, data.subarray(0, room)]);
  }

  /** Escaped for a report: device bytes are untrusted. */
  toString(): string {
    return escapeBytes(this.#bytes, TRANSCRIPT_BYTES) + (this.#dropped ? "…" : "");
  }
}

export interface PromptStep {
  prompt: ConsolePrompt | undefined;
  text: string;
  end: ReadEnd;
}

/** Read until the console shows a prompt we know, or the limits end the step. */
export async function readToPrompt(con: SerialConsole, transcript: Transcript, timeoutMs: number): Promise<PromptStep> {
  const { data, end } = await con.readUntil((b) => promptOf(b.toString("latin1")) !== undefined, { maxBytes: STEP_BYTES, timeoutMs });
  transcript.add(data);
  const text = data.toString("latin1");
  return { prompt: promptOf(text), text, end };
}

export interface ShellIdentity {
  root: boolean;
  uid?: number;
  user?: string;
  /** How root was told: from `id`, or from a `#` prompt when `id` said nothing we could read. */
  by: "id" | "prompt";
}

const ID_OUTPUT = /uid=(\d+)(?:\(([^)\s]{1,64})\))?/;

/**
 * Say whose shell this is by running `id` — the one command the check runs on a shell: it
 * changes nothing, and a prompt alone can lie. `promptText` is the text that ended in the prompt.
 */
export async function identifyShell(con: SerialConsole, transcript: Transcript, promptText: string, timeoutMs: number): Promise<ShellIdentity> {
  await con.write("id\r");
  const answer = await readToPrompt(con, transcript, timeoutMs);
  const id = ID_OUTPUT.exec(answer.text);
  if (id) {
    const uid = Number(id[1]);
    return { root: uid === 0, uid, ...(id[2] ? { user: id[2] } : {}), by: "id" };
  }
  return { root: /#\s*$/.test(promptText), by: "prompt" };
}
