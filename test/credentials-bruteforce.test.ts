// credentials.bruteforce-protection against real HTTP Basic servers on loopback (node:http), each
// behaving like one kind of device after wrong passwords: full speed, growing delays, a lockout by
// refusal or by silence, a fixed delay per connection, a fixed delay for everyone at once.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { bruteforceProtection } from "../harness/checks/credentials/bruteforce-protection.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

interface Device {
  port: number;
  /** The passwords of every login attempt, in order. */
  passwords: string[];
  close(): Promise<void>;
}

type Behaviour = (failures: number, res: ServerResponse, req: IncomingMessage) => unknown;
const refuse = (res: ServerResponse) => res.writeHead(401, { "www-authenticate": 'Basic realm="plug"' }).end();

/**
 * /admin/ behind Basic auth that `behave` answers after `failures` earlier wrong passwords; a GET
 * without credentials is refused at once. `dropAfter`: connections are reset once that many failed.
 */
async function device(behave: Behaviour, opts: { dropAfter?: number } = {}): Promise<Device> {
  const passwords: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (req, res) => {
    const auth = req.headers.authorization;
    if (!auth) return refuse(res);
    const failures = passwords.length;
    passwords.push(Buffer.from(auth.replace(/^Basic /, ""), "base64").toString().split(":").slice(1).join(":"));
    await behave(failures, res, req);
  });
  server.on("connection", (s) => {
    if (opts.dropAfter !== undefined && passwords.length >= opts.dropAfter) return s.destroy();
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  let closed = false;
  const close = () => (closed ? Promise.resolve() : new Promise<void>((r) => {
    closed = true;
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  cleanup.push(close);
  return { port: (server.address() as AddressInfo).port, passwords, close };
}

const descriptor: Descriptor = { id: "plug", vendor: "Acme", model: "P1", firmware: "1", network: { address: "127.0.0.1" } };

async function judge(d: Device, attempts: number) {
  const ctx = makeContext({
    device: descriptor, checkId: bruteforceProtection.id, pace: Pace.named("fast", { attemptsPerService: attempts }),
    facts: { "tcp.services": [{ port: d.port, name: "http", tls: false, http: [{ path: "/admin/", status: 401, authScheme: "basic" }] }] },
  });
  const outcome = await bruteforceProtection.run(ctx);
  const [service] = (outcome.evidence?.services ?? []) as Record<string, unknown>[];
  return { outcome, service: service! };
}

describe("credentials.bruteforce-protection", () => {
  it("fails a login that answers every wrong password at once, with the timings", async () => {
    const d = await device((_, res) => refuse(res));
    const { outcome, service } = await judge(d, 6);

    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "medium",
      title: `http on port ${d.port} answers wrong passwords at full speed, with no lockout or slow-down`,
      target: { transport: "tcp", port: d.port, service: "http" },
    })]);
    expect(service).toMatchObject({ protection: "none", attempts: 6, answered: 6, username: "admin" });
    expect(service.timingsMs).toHaveLength(6);
    // Random passwords, a new one each time, never one of a list
    expect(new Set(d.passwords).size).toBe(6);
    for (const p of d.passwords) expect(p).toMatch(/^iotcert-[A-Za-z0-9_-]{16}$/);
  });

  it("passes a login whose answers grow slower with each failure", async () => {
    const d = await device(async (failures, res) => {
      await sleep(60 * 2 ** failures);
      refuse(res);
    });
    const { outcome, service } = await judge(d, 6);

    expect(outcome.verdict).toBe("pass");
    expect(outcome.summary).toMatch(/slows down \(\d+ ms, then \d+ ms\)/);
    expect(service.protection).toBe("slows-down");
    expect(service.recentMs as number).toBeGreaterThan(3 * (service.baselineMs as number));
  });

  it("passes a login that refuses to go on after three failures, saying when", async () => {
    const d = await device((failures, res) => (failures >= 3 ? res.writeHead(429).end() : refuse(res)));
    const { outcome, service } = await judge(d, 6);

    expect(outcome.verdict).toBe("pass");
    expect(service).toMatchObject({ protection: "locks-out", answered: 3, attempts: 4, lockout: "after 3 wrong passwords it refused the login: the login began refusing (HTTP 429)" });
  });

  it("passes a login that stops answering after three failures (a ban), after one retry", async () => {
    const d = await device((_, res) => refuse(res), { dropAfter: 3 });
    const { outcome, service } = await judge(d, 6);

    expect(outcome.verdict).toBe("pass");
    expect(service.protection).toBe("locks-out");
    expect(service.lockout).toMatch(/^after 3 wrong passwords it stopped answering: (reset|closed)/);
    expect(d.passwords).toHaveLength(3);
  });

  it("is inconclusive when no wrong password gets an answer: a dead service is not a lockout", async () => {
    // It asks for a login, then drops every connection that brings a password
    const d = await device((_, _res, req) => void req.socket.destroy());
    const { outcome, service } = await judge(d, 6);

    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.findings ?? []).toEqual([]);
    expect(service).toMatchObject({ answered: 0, attempts: 1 });
    expect(outcome.summary).toMatch(/no wrong password was answered \((reset|closed)/);
    expect(d.passwords).toHaveLength(2);
  });

  it("passes a fixed delay that holds for parallel attempts too", async () => {
    // One wrong password at a time, device-wide: a queue
    let queue = Promise.resolve();
    const d = await device((_, res) => {
      queue = queue.then(async () => {
        await sleep(900);
        refuse(res);
      });
      return queue;
    });
    const { outcome, service } = await judge(d, 4);

    expect(outcome.verdict).toBe("pass");
    expect(outcome.findings ?? []).toEqual([]);
    expect(service).toMatchObject({ protection: "delays-failures", parallel: { attempts: 4, answered: 4, perConnection: false } });
    expect(service.medianMs as number).toBeGreaterThanOrEqual(900);
  });

  it("passes a fixed delay per connection with a low finding: parallel attempts are not slowed", async () => {
    const d = await device(async (_, res) => {
      await sleep(900);
      refuse(res);
    });
    const { outcome, service } = await judge(d, 4);

    expect(outcome.verdict).toBe("pass");
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "low",
      title: `http on port ${d.port} delays each wrong password only per connection: several sent at once are answered at once`,
    })]);
    expect(service).toMatchObject({ protection: "delays-failures", parallel: { answered: 4, perConnection: true } });
    expect((service.parallel as { wallMs: number }).wallMs).toBeLessThan(2 * 900);
  });

  it("leaves out a login that takes any password", async () => {
    const d = await device((_, res) => res.writeHead(200).end());
    const { outcome, service } = await judge(d, 4);

    expect(outcome.verdict).toBe("not-applicable");
    expect(service.skipped).toBe("it accepted a random password: it has no password to protect");
    expect(d.passwords).toHaveLength(1);
  });
});
