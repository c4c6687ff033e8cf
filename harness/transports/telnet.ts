// Telnet (RFC 854/855) over a TcpConnection: answers the server's option negotiation, strips it
// from the text, and tries one user name and password per connection.
import { TransportError } from "../core/errors.js";
import { connectTcp, escapeBytes, type Link, type ReadEnd, type ReadLimits, type TcpConnection } from "./tcp.js";

const IAC = 255;
const DONT = 254;
const DO = 253;
const WONT = 252;
const WILL = 251;
const SB = 250;
const SE = 240;
const ECHO = 1;
const SGA = 3;

/** Options the server may turn on at its end: it echoes what we type, it sends no go-ahead. */
const SERVER_MAY = new Set([ECHO, SGA]);
/** Options we turn on at our end when asked: we send no go-ahead either. Everything else is refused. */
const WE_WILL = new Set([SGA]);

/** Device text kept for evidence; a login dialogue is far shorter. */
const TRANSCRIPT_BYTES = 4096;
/** Text one step of the dialogue may produce before we give up waiting for a prompt. */
const STEP_BYTES = 16 * 1024;
const READ_CHUNK = 4096;

type DecoderState = "data" | "iac" | "option" | "sub" | "sub-iac";

/** Splits the bytes a server sends into text and the answers its option requests are owed. */
class TelnetDecoder {
  #state: DecoderState = "data";
  #verb = 0;
  /** Options the server has on at its end because we said DO. */
  readonly #serverOn = new Set<number>();
  /** Options we have on at our end because we said WILL. */
  readonly #weOn = new Set<number>();

  decode(chunk: Buffer): { text: Buffer; reply: Buffer } {
    const text: number[] = [];
    const reply: number[] = [];
    for (const byte of chunk) {
      switch (this.#state) {
        case "data":
          if (byte === IAC) this.#state = "iac";
          // NUL only pads CR in NVT text (RFC 854); it carries nothing
          else if (byte !== 0) text.push(byte);
          break;
        case "iac":
          if (byte === IAC) {
            text.push(IAC);
            this.#state = "data";
          } else if (byte >= WILL && byte <= DONT) {
            this.#verb = byte;
            this.#state = "option";
          } else {
            // SB opens a subnegotiation; NOP, GA, AYT and the like carry no option
            this.#state = byte === SB ? "sub" : "data";
          }
          break;
        case "option":
          reply.push(...this.#answer(this.#verb, byte));
          this.#state = "data";
          break;
        case "sub":
          if (byte === IAC) this.#state = "sub-iac";
          break;
        case "sub-iac":
          // IAC IAC inside a subnegotiation is a data byte of it, not its end
          this.#state = byte === SE ? "data" : "sub";
          break;
      }
    }
    return { text: Buffer.from(text), reply: Buffer.from(reply) };
  }

  /**
   * Agree to what we allow and refuse the rest. A request for a state the option is already in
   * gets no answer (RFC 854), which is what keeps two parties from acknowledging each other forever.
   */
  #answer(verb: number, option: number): number[] {
    switch (verb) {
      case WILL:
        if (!SERVER_MAY.has(option)) return [IAC, DONT, option];
        if (this.#serverOn.has(option)) return [];
        this.#serverOn.add(option);
        return [IAC, DO, option];
      case WONT:
        return this.#serverOn.delete(option) ? [IAC, DONT, option] : [];
      case DO:
        if (!WE_WILL.has(option)) return [IAC, WONT, option];
        if (this.#weOn.has(option)) return [];
        this.#weOn.add(option);
        return [IAC, WILL, option];
      default:
        return this.#weOn.delete(option) ? [IAC, WONT, option] : [];
    }
  }
}

export interface TelnetText {
  text: string;
  end: ReadEnd;
}

/** A telnet connection that reads negotiated-out text (latin1, one char per byte). */
export class TelnetSession {
  readonly #decoder = new TelnetDecoder();
  #pending = Buffer.alloc(0);
  #transcript = Buffer.alloc(0);
  #ended = false;

  constructor(private readonly conn: TcpConnection) {}

  /** What the device said so far, escaped and bounded, for evidence. */
  get transcript(): string {
    return escapeBytes(this.#transcript, TRANSCRIPT_BYTES);
  }

  /**
   * Read text until `done(text)` holds for everything unread, `maxBytes` of text arrived, the
   * time ran out or the server closed; the unread text is returned and consumed either way.
   */
  async readText(done: (text: string) => boolean, limits: ReadLimits): Promise<TelnetText> {
    const deadline = performance.now() + limits.timeoutMs;
    for (;;) {
      if (done(this.#pending.toString("latin1"))) return this.#take("match");
      if (this.#pending.length >= limits.maxBytes) return this.#take("limit");
      if (this.#ended) return this.#take("closed");
      const left = deadline - performance.now();
      if (left <= 0) return this.#take("timeout");
      const { data, end } = await this.conn.read({ maxBytes: READ_CHUNK, timeoutMs: left });
      const { text, reply } = this.#decoder.decode(data);
      this.#pending = Buffer.concat([this.#pending, text]);
      if (this.#transcript.length <= TRANSCRIPT_BYTES) this.#transcript = Buffer.concat([this.#transcript, text]);
      if (end === "closed") this.#ended = true;
      else if (reply.length) await this.conn.write(reply);
    }
  }

  /** Send one line the NVT way, ended by CR LF. UTF-8 never yields the byte 0xFF, so no IAC needs doubling. */
  async sendLine(line: string): Promise<void> {
    await this.conn.write(`${line}\r\n`);
  }

  close(): void {
    this.conn.close();
  }

  /** See TcpConnection.timedOut. */
  timedOut(message: string): TransportError {
    return this.conn.timedOut(message);
  }

  #take(end: ReadEnd): TelnetText {
    const text = this.#pending.toString("latin1");
    this.#pending = Buffer.alloc(0);
    return { text, end };
  }
}

/** Open a telnet connection through the scope guard and the pace. */
export async function connectTelnet(link: Link, host: string, port: number, connectTimeoutMs: number): Promise<TelnetSession> {
  return new TelnetSession(await connectTcp(link, host, port, connectTimeoutMs));
}

export interface TelnetTiming {
  connectTimeoutMs: number;
  /** How long each step of the dialogue may take to answer (devices pause after a wrong password). */
  replyTimeoutMs: number;
}

export type TelnetLoginResult = "success" | "rejected" | "no-prompt";

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const LOGIN_PROMPT = /(?:login|username|user name)\s*:\s*$/i;
const PASSWORD_PROMPT = /password\s*:\s*$/i;
const SHELL_PROMPT = /(?:[#$>] |\S+@\S+[#$]\s?)$/;
const REJECTED = /incorrect|failed|denied|invalid/i;

export type Prompt = "login" | "password" | "shell";

/** The prompt the text ends with, judged on its last line with colour codes removed. */
export function promptAtEnd(text: string): Prompt | undefined {
  const last = text.replace(ANSI, "").split(/[\r\n]/).pop() ?? "";
  if (LOGIN_PROMPT.test(last)) return "login";
  if (PASSWORD_PROMPT.test(last)) return "password";
  if (SHELL_PROMPT.test(last)) return "shell";
  return undefined;
}

/** A step ended without a prompt: only words of refusal make it a rejection, the rest is a transport failure. */
function withoutPrompt(step: TelnetText, what: string, where: string, timing: TelnetTiming): "rejected" {
  if (REJECTED.test(step.text)) return "rejected";
  if (step.end === "timeout") throw new TransportError("timeout", `${where}: no ${what} within ${timing.replyTimeoutMs} ms`);
  if (step.end === "limit") throw new TransportError("too-large", `${where}: more than ${STEP_BYTES} bytes without a ${what}`);
  throw new TransportError("closed", `${where} closed the connection before a ${what}`);
}

/**
 * Log in once: wait for a login prompt, send the user, wait for the password prompt, send the
 * password, and judge by what follows: a shell prompt is success; a new login or password prompt,
 * or words of refusal, is rejection. A service that talks but asks no login name is "no-prompt".
 * Silence, a refused connection or a reset throw TransportError: they are never a rejection.
 */
export async function telnetLogin(
  link: Link,
  host: string,
  port: number,
  credential: { username: string; password: string },
  timing: TelnetTiming,
): Promise<{ result: TelnetLoginResult; transcript: string }> {
  const where = `${host}:${port}`;
  const limits = { timeoutMs: timing.replyTimeoutMs, maxBytes: STEP_BYTES };
  const isPrompt = (text: string) => promptAtEnd(text) !== undefined;
  const session = await connectTelnet(link, host, port, timing.connectTimeoutMs);
  try {
    const done = (result: TelnetLoginResult) => ({ result, transcript: session.transcript });
    const greeting = await session.readText((t) => promptAtEnd(t) === "login", limits);
    if (greeting.end !== "match") {
      if (greeting.text.trim()) return done("no-prompt");
      throw greeting.end === "timeout"
        ? session.timedOut(`${where}: nothing but option negotiation within ${timing.replyTimeoutMs} ms`)
        : new TransportError("closed", `${where} closed the connection without a word`);
    }

    await session.sendLine(credential.username);
    const asked = await session.readText(isPrompt, limits);
    const prompt = promptAtEnd(asked.text);
    // No password asked: the account has none (a shell follows) or the user is unknown
    if (prompt === "shell") return done("success");
    if (prompt === "login") return done("rejected");
    if (prompt === undefined) return done(withoutPrompt(asked, "password prompt", where, timing));

    await session.sendLine(credential.password);
    const answer = await session.readText(isPrompt, limits);
    const after = promptAtEnd(answer.text);
    if (after === "shell") return done("success");
    if (after !== undefined) return done("rejected");
    return done(withoutPrompt(answer, "prompt after the password", where, timing));
  } finally {
    session.close();
  }
}
