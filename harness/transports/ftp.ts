// FTP: one login on the control channel (RFC 959 USER/PASS), then QUIT. No data connection is
// ever opened and no command runs after the login. The replies are read through connectTcp's
// bounded reads; basic-ftp is not used here because it opens its own socket (outside the scope
// guard and the pace) and always starts with commands we do not need.
import { TransportError } from "../core/errors.js";
import { connectTcp, escapeBytes, type Link, type TcpConnection } from "./tcp.js";

export interface FtpTiming {
  connectTimeoutMs: number;
  /** For the greeting and the answer to USER. */
  replyTimeoutMs: number;
  /** For the answer to PASS: servers pause after a wrong password (vsftpd: delay_failed_login). */
  passReplyTimeoutMs: number;
}

export interface FtpReply {
  code: number;
  text: string;
}

/** A reply longer than this is not an FTP server talking. */
const REPLY_BYTES = 8192;

/** Where a complete reply ends in `data` (a multi-line one ends with "NNN "), else -1. */
export function replyEnd(data: Buffer): number {
  const text = data.toString("latin1");
  const first = /^(\d{3})([ -])/.exec(text);
  if (!first) {
    const nl = text.indexOf("\n");
    return nl >= 0 ? nl + 1 : -1;
  }
  if (first[2] === " ") {
    const nl = text.indexOf("\n");
    return nl >= 0 ? nl + 1 : -1;
  }
  const last = new RegExp(`(^|\\n)${first[1]} [^\\n]*\\n`).exec(text.slice(4));
  return last ? 4 + last.index + last[0].length : -1;
}

async function readReply(conn: TcpConnection, timeoutMs: number, after: string): Promise<FtpReply> {
  const where = `${conn.host}:${conn.port}`;
  const { data, end } = await conn.readUntil(replyEnd, { maxBytes: REPLY_BYTES, timeoutMs });
  if (end === "timeout") throw conn.timedOut(`${where}: no FTP reply ${after} within ${timeoutMs} ms`);
  if (end === "closed" && !data.length) throw new TransportError("closed", `${where} closed the FTP connection ${after}`);
  const code = /^(\d{3})[ -]/.exec(data.toString("latin1"));
  if (!code || end !== "match") throw new TransportError("protocol", `${where}: not an FTP reply ${after}: "${escapeBytes(data, 120)}"`);
  return { code: Number(code[1]), text: escapeBytes(data, 240) };
}

export type FtpLoginResult = { result: "success" | "rejected"; transcript: string };

/** Control-channel lines must not carry CR or LF: a candidate with them could inject commands. */
const clean = (s: string) => s.replace(/[\r\n]/g, "");

/**
 * One login. Success only on 230 (after USER, when the server needs no password, or after PASS);
 * rejected only on 530; any other reply or a lost connection throws a TransportError.
 */
export async function ftpLogin(link: Link, host: string, port: number, credential: { username: string; password: string }, timing: FtpTiming): Promise<FtpLoginResult> {
  const where = `${host}:${port}`;
  const conn = await connectTcp(link, host, port, timing.connectTimeoutMs);
  const lines: string[] = [];
  const unexpected = (r: FtpReply, after: string) => new TransportError("protocol", `${where}: FTP answered ${after} with "${r.text.slice(0, 120)}"`);
  try {
    const greeting = await readReply(conn, timing.replyTimeoutMs, "as a greeting");
    lines.push(greeting.text);
    if (greeting.code !== 220) throw unexpected(greeting, "the connection");
    await conn.write(`USER ${clean(credential.username)}\r\n`);
    const user = await readReply(conn, timing.replyTimeoutMs, "to USER");
    lines.push(user.text);
    let final = user;
    if (user.code === 331 || user.code === 332) {
      await conn.write(`PASS ${clean(credential.password)}\r\n`);
      final = await readReply(conn, timing.passReplyTimeoutMs, "to PASS");
      lines.push(final.text);
    }
    const transcript = lines.join("");
    if (final.code === 230) {
      // Leave at once; QUIT's answer is not awaited for long, the login is already proven
      await conn.write("QUIT\r\n").catch(() => {});
      await conn.read({ maxBytes: 512, timeoutMs: Math.min(500, timing.replyTimeoutMs) }).catch(() => {});
      return { result: "success", transcript };
    }
    if (final.code === 530) return { result: "rejected", transcript };
    // An empty user name is refused by some servers as a syntax error (500/501): still a refusal
    if (final === user && !credential.username && user.code >= 500 && user.code < 600) return { result: "rejected", transcript };
    throw unexpected(final, final === user ? "USER" : "PASS");
  } finally {
    conn.close();
  }
}
