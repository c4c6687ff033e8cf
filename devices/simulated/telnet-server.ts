// A small telnet login server as cheap devices run it: option negotiation on connect, a banner,
// login and password prompts, a BusyBox-like shell on success that runs nothing, and "Login
// incorrect" with a new prompt on failure until the tries run out.
import { createServer, type Server, type Socket } from "node:net";

const IAC = 255;
const SB = 250;
const SE = 240;
const WILL = 251;
const DO = 253;
const ECHO = 1;
const SGA = 3;
const TTYPE = 24;
const NAWS = 31;

/** What the server offers on connect, as busybox telnetd and many camera firmwares do. */
const NEGOTIATION = Buffer.from([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, NAWS, IAC, DO, TTYPE]);
const MAX_LINE = 1024;

export interface TelnetServerOptions {
  /** Shown once before the first login prompt. */
  banner: string;
  accounts: { username: string; password: string }[];
  /** Shown after a successful login, before the first shell prompt. */
  motd: string;
  maxTries?: number;
}

type Step = "login" | "password" | "shell";

/** The client's bytes without its telnet commands, cut into lines at CR or LF. */
class LineReader {
  #line = "";
  #state: "data" | "iac" | "option" | "sub" | "sub-iac" = "data";
  #lastWasCr = false;

  /** The complete lines in `chunk`, or undefined when a line grows past MAX_LINE. */
  push(chunk: Buffer): string[] | undefined {
    const lines: string[] = [];
    for (const byte of chunk) {
      switch (this.#state) {
        case "data":
          if (byte === IAC) this.#state = "iac";
          else if (byte === 0x0d || byte === 0x0a) {
            // CR LF and CR NUL end one line, not two
            if (!(byte === 0x0a && this.#lastWasCr)) lines.push(this.#line);
            this.#line = "";
          } else if (byte !== 0) this.#line += String.fromCharCode(byte);
          this.#lastWasCr = byte === 0x0d;
          break;
        case "iac":
          this.#state = byte === SB ? "sub" : byte >= WILL && byte < IAC ? "option" : "data";
          if (byte === IAC) this.#line += "\xff";
          break;
        case "option":
          this.#state = "data";
          break;
        case "sub":
          if (byte === IAC) this.#state = "sub-iac";
          break;
        case "sub-iac":
          this.#state = byte === SE ? "data" : "sub";
          break;
      }
      if (this.#line.length > MAX_LINE) return undefined;
    }
    return lines;
  }
}

function serve(socket: Socket, opts: TelnetServerOptions): void {
  const maxTries = opts.maxTries ?? 3;
  const reader = new LineReader();
  let step: Step = "login";
  let username = "";
  let failures = 0;

  const answer = (line: string) => {
    switch (step) {
      case "login":
        username = line;
        step = "password";
        // The server said WILL ECHO, so it echoes the user name but not the password
        socket.write(`${line}\r\nPassword: `);
        return;
      case "password":
        if (opts.accounts.some((a) => a.username === username && a.password === line)) {
          step = "shell";
          socket.write(`\r\n${opts.motd}\r\n# `);
        } else if (++failures >= maxTries) {
          socket.end("\r\nLogin incorrect\r\n");
        } else {
          step = "login";
          socket.write("\r\nLogin incorrect\r\nlogin: ");
        }
        return;
      case "shell": {
        const command = line.trim().split(/\s+/)[0] ?? "";
        if (command === "exit") socket.end(`${line}\r\n`);
        else socket.write(command ? `${line}\r\nsh: ${command}: not found\r\n# ` : "\r\n# ");
      }
    }
  };

  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk: Buffer) => {
    const lines = reader.push(chunk);
    if (!lines) return void socket.destroy();
    for (const line of lines) if (!socket.writableEnded) answer(line);
  });
  socket.write(Buffer.concat([NEGOTIATION, Buffer.from(`${opts.banner}\r\nlogin: `, "latin1")]));
}

export function createTelnetServer(opts: TelnetServerOptions): Server {
  return createServer((socket) => serve(socket, opts));
}
