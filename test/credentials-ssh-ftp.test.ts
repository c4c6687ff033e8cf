// credentials.default-passwords over SSH (password and keyboard-interactive) and FTP, against real
// in-process servers on loopback: ssh2's Server class, and a minimal FTP control channel (RFC 959
// USER/PASS replies) written here, since basic-ftp is only a client.
import { generateKeyPairSync } from "node:crypto";
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Server as SshServer, type Connection } from "ssh2";
import { defaultPasswords } from "../harness/checks/credentials/default-passwords.js";
import { KEYS_ONLY, sshLoginOf } from "../harness/checks/credentials/logins/ssh.js";
import { ProbeLedger } from "../harness/core/evidence.js";
import type { Service } from "../harness/core/facts.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { replyEnd } from "../harness/transports/ftp.js";
import { makeContext } from "./helpers/context.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

const HOST_KEY = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;

const device = (port: number): Descriptor =>
  ({ id: "loopback-unit", vendor: "Test", model: "Box", firmware: "1", network: { address: "127.0.0.1", tcpPorts: [port] } }) as Descriptor;

async function listening(server: NetServer | SshServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sockets = new Set<Socket>();
  (server as NetServer).on("connection", (s: Socket) => {
    if (typeof s?.destroy === "function") { sockets.add(s); s.on("close", () => sockets.delete(s)); }
  });
  cleanup.push(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  return (server.address() as AddressInfo).port;
}

type SshMode = "normal" | "keys-only" | "drop-mid-auth";

/** root/xc3511 by password, kbd/letmein by keyboard-interactive only; everything else refused. */
async function sshServer(mode: SshMode = "normal") {
  const seen: { method: string; username: string }[] = [];
  let commands = 0;
  const server = new SshServer({ hostKeys: [HOST_KEY] }, (client: Connection) => {
    client.on("error", () => {});
    client.on("authentication", (ctx) => {
      seen.push({ method: ctx.method, username: ctx.username });
      if (mode === "keys-only") return ctx.reject(["publickey"]);
      if (mode === "drop-mid-auth" && ctx.method !== "none") {
        (client as unknown as { _sock: Socket })._sock.destroy();
        return;
      }
      if (ctx.method === "password" && ctx.username === "root" && ctx.password === "xc3511") return ctx.accept();
      if (ctx.method === "keyboard-interactive" && ctx.username === "kbd") {
        return ctx.prompt([{ prompt: "Password: ", echo: false }], (answers) => (answers[0] === "letmein" ? ctx.accept() : ctx.reject()));
      }
      if (ctx.method === "keyboard-interactive") {
        return ctx.prompt([{ prompt: "Password: ", echo: false }], () => ctx.reject());
      }
      ctx.reject(["password", "keyboard-interactive"]);
    });
    client.on("session", () => { commands++; });
  });
  const port = await listening(server);
  return { port, seen, commands: () => commands };
}

const sshServices = (port: number): Service[] => [{ port, name: "ssh", tls: false }];
const WRONG = [1, 2, 3].map((n) => ({ username: "root", password: `wrong${n}` }));

function sshContext(port: number, extra: { username: string; password: string }[], attempts = extra.length) {
  return makeContext({
    device: device(port), checkId: defaultPasswords.id, facts: { "tcp.services": sshServices(port) },
    pace: Pace.named("fast", { attemptsPerService: attempts }), options: { extraCredentials: extra },
  });
}

describe("credentials.default-passwords over SSH", () => {
  it("finds root/xc3511 by password after two wrong pairs, and runs nothing after the login", async () => {
    const ssh = await sshServer();
    const ledger = new ProbeLedger();
    const ctx = makeContext({
      device: device(ssh.port), checkId: defaultPasswords.id, facts: { "tcp.services": sshServices(ssh.port) }, ledger,
      pace: Pace.named("fast", { attemptsPerService: 3 }),
      options: { extraCredentials: [WRONG[0]!, WRONG[1]!, { username: "root", password: "xc3511" }] },
    });
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "critical",
      title: `ssh on port ${ssh.port} accepts a default password for "root"`,
      target: { transport: "tcp", port: ssh.port, service: "ssh" },
      evidence: expect.objectContaining({ username: "root", password: "xc3511", source: "user", attemptsBeforeSuccess: 2, transcript: "accepted by password authentication" }),
    })]);
    expect(ssh.commands()).toBe(0);
    // One "none" request to learn the methods, then one password request per pair
    expect(ssh.seen.filter((s) => s.method === "password")).toHaveLength(3);
  });

  it("finds kbd/letmein by keyboard-interactive when the password method refuses it", async () => {
    const ssh = await sshServer();
    const outcome = await defaultPasswords.run(sshContext(ssh.port, [WRONG[0]!, { username: "kbd", password: "letmein" }]));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.[0]).toMatchObject({
      title: `ssh on port ${ssh.port} accepts a default password for "kbd"`,
      evidence: { username: "kbd", password: "letmein", transcript: "accepted by keyboard-interactive authentication" },
    });
    expect(ssh.seen.some((s) => s.method === "keyboard-interactive" && s.username === "kbd")).toBe(true);
  });

  it("passes when every pair is refused by both methods, counting each", async () => {
    const ssh = await sshServer();
    const outcome = await defaultPasswords.run(sshContext(ssh.port, WRONG));
    expect(outcome.verdict).toBe("pass");
    expect(outcome.findings).toEqual([]);
    expect(outcome.evidence).toMatchObject({ services: [{ service: "ssh", port: ssh.port, tried: 3, of: 3 }] });
  });

  it("is inconclusive, not pass, when the server drops the connection mid-authentication", async () => {
    const ssh = await sshServer("drop-mid-auth");
    const outcome = await defaultPasswords.run(sshContext(ssh.port, WRONG));
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/only 0 of 3 pairs tried/);
  });

  it("is inconclusive when nothing listens on the port", async () => {
    const ssh = await sshServer();
    const port = ssh.port;
    await cleanup.pop()!();
    const outcome = await defaultPasswords.run(sshContext(port, WRONG));
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/refused/);
  });

  it("passes a public-key-only server: no password to guess, no pair tried, nothing found", async () => {
    const ssh = await sshServer("keys-only");
    const ctx = sshContext(ssh.port, WRONG);
    const login = sshLoginOf(ctx, "127.0.0.1", { name: "ssh", kind: "ssh", port: ssh.port, tls: false });
    expect(await login.untestable()).toEqual({ noPasswordLogin: KEYS_ONLY });
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("pass");
    expect(outcome.findings).toEqual([]);
    expect(outcome.summary).toContain("public keys only");
    expect(ssh.seen.every((s) => s.method === "none")).toBe(true);
  });

  it("never connects outside the descriptor's scope", async () => {
    const ssh = await sshServer();
    const ctx = sshContext(ssh.port, WRONG);
    const login = sshLoginOf(ctx, "127.0.0.2", { name: "ssh", kind: "ssh", port: ssh.port, tls: false });
    await expect(login.untestable()).rejects.toMatchObject({ kind: "out-of-scope" });
    expect(ssh.seen).toEqual([]);
  });
});

interface FtpOptions {
  anonymous?: boolean;
  /** Hang up after the greeting's USER. */
  dropAfterUser?: boolean;
  failDelayMs?: number;
}

/** A vsftpd-like control channel: admin/admin, anonymous with any password when enabled. */
async function ftpServer(opts: FtpOptions = {}) {
  const commands: string[] = [];
  const server = createServer((sock) => {
    sock.on("error", () => {});
    sock.write("220-Welcome\r\n220 (vsFTPd 3.0.3)\r\n");
    let user = "";
    let buf = "";
    sock.on("data", (chunk) => {
      buf += chunk.toString("latin1");
      let nl: number;
      while ((nl = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        commands.push(line);
        const [verb = "", ...rest] = line.split(" ");
        const arg = rest.join(" ");
        if (verb === "USER") {
          if (opts.dropAfterUser) return sock.destroy();
          user = arg;
          sock.write("331 Please specify the password.\r\n");
        } else if (verb === "PASS") {
          const ok = (user === "admin" && arg === "admin") || (opts.anonymous && user === "anonymous");
          if (ok) sock.write("230 Login successful.\r\n");
          else setTimeout(() => sock.write("530 Login incorrect.\r\n"), opts.failDelayMs ?? 0);
        } else if (verb === "QUIT") {
          sock.end("221 Goodbye.\r\n");
        } else {
          sock.write("530 Please login with USER and PASS.\r\n");
        }
      }
    });
  });
  const port = await listening(server);
  return { port, commands };
}

function ftpContext(port: number, extra: { username: string; password: string }[]) {
  return makeContext({
    device: device(port), checkId: defaultPasswords.id, facts: { "tcp.services": [{ port, name: "ftp", tls: false }] },
    // one pair at a time, so the server's log of commands is the list's order
    pace: Pace.named("fast", { attemptsPerService: extra.length, loginsAtOnce: 1 }), options: { extraCredentials: extra },
  });
}

describe("credentials.default-passwords over FTP", () => {
  it("finds admin/admin after a wrong pair (530 after a pause), then QUITs without any other command", async () => {
    const ftp = await ftpServer({ failDelayMs: 300 });
    const outcome = await defaultPasswords.run(ftpContext(ftp.port, [{ username: "admin", password: "wrong" }, { username: "admin", password: "admin" }]));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "critical",
      title: `ftp on port ${ftp.port} accepts a default password for "admin"`,
      target: { transport: "tcp", port: ftp.port, service: "ftp" },
      evidence: expect.objectContaining({ username: "admin", password: "admin", attemptsBeforeSuccess: 1, transcript: expect.stringContaining("230 Login successful.") }),
    })]);
    // Anonymous is asked first (refused here), then the pairs, each on a fresh connection
    expect(ftp.commands).toEqual(["USER anonymous", "PASS iotcert@example.com", "USER admin", "PASS wrong", "USER admin", "PASS admin", "QUIT"]);
  });

  it("reports anonymous access as its own finding, asked before any pair", async () => {
    const ftp = await ftpServer({ anonymous: true });
    const outcome = await defaultPasswords.run(ftpContext(ftp.port, [{ username: "root", password: "root" }]));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "critical",
      title: `ftp on port ${ftp.port} accepts anonymous logins`,
      evidence: expect.objectContaining({ source: "anonymous", transcript: expect.stringContaining("230") }),
    })]);
    expect(ftp.commands).toEqual(["USER anonymous", "PASS iotcert@example.com", "QUIT"]);
  });

  it("passes when every pair gets 530", async () => {
    const ftp = await ftpServer();
    const outcome = await defaultPasswords.run(ftpContext(ftp.port, [{ username: "anonymous", password: "" }, { username: "root", password: "root" }]));
    expect(outcome.verdict).toBe("pass");
    expect(outcome.evidence).toMatchObject({ services: [{ service: "ftp", tried: 2, of: 2 }] });
  });

  it("is inconclusive when the server hangs up after USER: a lost connection is not a wrong password", async () => {
    const ftp = await ftpServer({ dropAfterUser: true });
    const outcome = await defaultPasswords.run(ftpContext(ftp.port, [{ username: "admin", password: "x" }]));
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/only 0 of 1 pairs tried \(closed/);
  });

  it("reads single and multi-line replies to their end", () => {
    expect(replyEnd(Buffer.from("230 ok\r\nrest"))).toBe(8);
    expect(replyEnd(Buffer.from("220-a\r\n220 b\r\n"))).toBe(14);
    expect(replyEnd(Buffer.from("220-a\r\n220-b\r\n"))).toBe(-1);
    expect(replyEnd(Buffer.from("220 partial"))).toBe(-1);
  });
});
