// credentials.default-passwords on web form logins, against Node-RED 4 (the real program from
// node_modules, test/helpers/node-red.ts): its admin token endpoint is recognised from
// harness/data/form-logins.yaml with no loginForms in the descriptor, and logged in to with a
// declared credential or a default from the lists. The lockout tests use Node-RED's own limiter
// (@node-red/editor-api lib/auth/strategies.js: beyond 5 attempts for one user name in 10 minutes,
// every login for it is refused with HTTP 500, the right password too).
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { bruteforceProtection } from "../harness/checks/credentials/bruteforce-protection.js";
import { defaultPasswords } from "../harness/checks/credentials/default-passwords.js";
import { formLibrary } from "../harness/checks/credentials/logins/form-library.js";
import { services as serviceScan } from "../harness/checks/surface/services.js";
import type { Service } from "../harness/core/facts.js";
import { Pace } from "../harness/core/pace.js";
import { formatIssue } from "../harness/schema/load.js";
import { dataFileOf, validateDataFile } from "../harness/schema/data-files.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext, sentProbes } from "./helpers/context.js";
import { startNodeRed, type NodeRed, type NodeRedUser } from "./helpers/node-red.js";

const running: NodeRed[] = [];
afterEach(async () => {
  for (const nr of running.splice(0)) await nr.stop();
});

async function nodeRed(users: NodeRedUser[]): Promise<NodeRed> {
  const nr = await startNodeRed({ users });
  running.push(nr);
  return nr;
}

const deviceFor = (nr: NodeRed, more: Partial<Descriptor> = {}): Descriptor => ({
  id: "node-red-box", vendor: "OpenJS", model: "Node-RED", firmware: "4", network: { address: "127.0.0.1", tcpPorts: [nr.port] }, ...more,
});

/** What the owner sees when logging in to the editor: the token endpoint's answer. */
async function ownerLogin(nr: NodeRed, user: NodeRedUser): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${nr.port}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: "node-red-editor", grant_type: "password", scope: "*", username: user.username, password: user.password }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** surface.services on Node-RED's port, as a run would scan it first. */
async function scanned(device: Descriptor, port: number): Promise<Service[]> {
  const scan = makeContext({ device, checkId: serviceScan.id, facts: { "tcp.open": [{ port }] } });
  await serviceScan.run(scan);
  return scan.facts.get("tcp.services")!;
}

const STRONG = { username: "admin", password: "x7-Qw!9rT2-vLp" };

describe("credentials.default-passwords on web forms (Node-RED 4)", () => {
  it("recognises Node-RED's token endpoint without loginForms and logs in with the declared credential for http", async () => {
    const nr = await nodeRed([STRONG]);
    const device = deviceFor(nr, {
      declared: { credentials: [{ username: "admin", password: "not-this-one", service: "telnet" }, { ...STRONG, service: "http" }] },
    });
    const ctx = makeContext({ device, checkId: defaultPasswords.id, facts: { "tcp.services": await scanned(device, nr.port) } });
    const outcome = await defaultPasswords.run(ctx);

    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toBe(`a default password works on form /auth/token on port ${nr.port} ("admin")`);
    expect(outcome.findings).toEqual([{
      severity: "critical",
      title: `form /auth/token on port ${nr.port} accepts a default password for "admin"`,
      target: { transport: "tcp", port: nr.port, service: "form /auth/token" },
      // The telnet credential was not tried on the form: the http one was the first
      evidence: expect.objectContaining({ username: "admin", password: STRONG.password, source: "declared", attemptsBeforeSuccess: 0 }),
    }]);
    expect(outcome.evidence).toMatchObject({ services: [{ service: "form /auth/token", port: nr.port, login: expect.stringMatching(/^Node-RED/), accepted: ["admin"] }] });
  });

  it("fails Node-RED whose user is admin/password: a default from the lists", async () => {
    const nr = await nodeRed([{ username: "admin", password: "password" }]);
    const device = deviceFor(nr);
    const ctx = makeContext({ device, checkId: defaultPasswords.id, facts: { "tcp.services": await scanned(device, nr.port) } });
    const outcome = await defaultPasswords.run(ctx);

    expect(outcome.verdict).toBe("fail");
    // admin/admin first; the empty pairs of the list are not sent (the endpoint refuses them unchecked)
    expect(outcome.findings?.[0]?.evidence).toMatchObject({ username: "admin", password: "password", source: "iot-defaults", attemptsBeforeSuccess: 1 });
    expect(ctx.facts.get("credentials.accepted")).toEqual([
      expect.objectContaining({ login: expect.objectContaining({ kind: "form", port: nr.port, name: "form /auth/token" }), username: "admin", password: "password" }),
    ]);
  });

  it("passes when every pair of the list is refused: a clean reject", async () => {
    const nr = await nodeRed([STRONG]);
    const wrong = [{ username: "admin", password: "wrong-1" }, { username: "operator", password: "wrong-2" }, { username: "root", password: "wrong-3" }];
    const ctx = makeContext({
      device: deviceFor(nr), checkId: defaultPasswords.id,
      pace: Pace.named("fast", { attemptsPerService: wrong.length }), options: { extraCredentials: wrong },
      facts: { "tcp.services": [{ port: nr.port, name: "http", tls: false }] },
    });
    const outcome = await defaultPasswords.run(ctx);

    expect(outcome).toMatchObject({ verdict: "pass", summary: `no default password accepted: 3 pairs tried on form /auth/token on port ${nr.port}` });
    expect(outcome.findings).toEqual([]);
    expect((await ownerLogin(nr, STRONG)).status).toBe(200);
  });

  it("stays below Node-RED's lockout: at most 4 attempts per user name, inconclusive, and the owner can still log in", async () => {
    const nr = await nodeRed([STRONG]);
    const ctx = makeContext({
      device: deviceFor(nr), checkId: defaultPasswords.id, pace: Pace.named("normal"),
      facts: { "tcp.services": [{ port: nr.port, name: "http", tls: false }] },
    });
    const outcome = await defaultPasswords.run(ctx);
    // Four wrong passwords for "admin" in Node-RED's window: its owner's next login still works
    const owner = await ownerLogin(nr, STRONG);
    expect(owner.status).toBe(200);
    expect(owner.body.access_token).toEqual(expect.any(String));

    expect(outcome.verdict).toBe("inconclusive");
    const service = (outcome.evidence as { services: Record<string, unknown>[] }).services[0]!;
    const tried = service.tried as number;
    const held = service.held as number;
    expect(held).toBeGreaterThan(0);
    expect(service.of).toBe(tried + held);
    expect(outcome.summary).toBe(
      `form /auth/token on port ${nr.port}: only ${tried} of ${tried + held} pairs tried (stopped after 4 attempts per user name: ` +
      `Node-RED editor and admin API (adminAuth of type "credentials") refuses every login per user name after 5 attempts in 10 minutes; ` +
      `the remaining ${held} pairs were not tried to avoid locking out the real account)`,
    );
  });

  it("stops at the first refusal of a lockout it was not told about, says why, and is inconclusive, never a pass", async () => {
    const nr = await nodeRed([STRONG]);
    // The lab described the token endpoint as a plain form: nothing says Node-RED locks out
    const device = deviceFor(nr, {
      loginForms: [{
        url: `http://127.0.0.1:${nr.port}/auth/token`, usernameField: "username", passwordField: "password",
        fields: { client_id: "node-red-admin", grant_type: "password", scope: "*" }, success: { status: 200, bodyIncludes: "access_token" },
      }],
    });
    const ctx = makeContext({
      device, checkId: defaultPasswords.id, pace: Pace.named("fast", { loginsAtOnce: 1 }),
      facts: { "tcp.services": [{ port: nr.port, name: "http", tls: false }] },
    });
    const outcome = await defaultPasswords.run(ctx);

    expect(outcome.verdict).toBe("inconclusive");
    const m = /stopped after (\d+) attempts: the login began refusing \(HTTP 500 after \d+ refusals\); the remaining (\d+) pairs were not tried to avoid locking out the real account/.exec(outcome.summary);
    expect(m, outcome.summary).not.toBeNull();
    const [sent, left] = [Number(m![1]), Number(m![2])];
    const service = (outcome.evidence as { services: Record<string, unknown>[] }).services[0]!;
    expect(service).toMatchObject({ service: `form /auth/token`, protection: "locks-out", of: sent + left });
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "info", title: `form /auth/token on port ${nr.port} began refusing logins after wrong passwords (a lockout or rate limit)`,
    })]);
    // Nothing after the refusal: the random pair, then the attempts up to the first refused one
    // (the library's recognising GET is skipped: the descriptor describes this login)
    expect(sentProbes(ctx.ledger)).toEqual([{ check: ctx.checkId, address: "127.0.0.1", ports: String(nr.port), protocol: "tcp", count: 1 + sent }]);

    // credentials.bruteforce-protection takes it as Node-RED locking out, and sends nothing more
    const after = makeContext({ device, checkId: bruteforceProtection.id, facts: { "tcp.services": ctx.facts.get("tcp.services")!, "credentials.lockouts": ctx.facts.get("credentials.lockouts")! } });
    expect(await bruteforceProtection.run(after)).toMatchObject({
      verdict: "pass",
      summary: `form /auth/token on port ${nr.port} locks out (seen by credentials.default-passwords: after ${sent} attempts ${service.lockout as string})`,
    });
    expect(after.ledger.all()).toEqual([]);
  });

  it("finds no password login on Node-RED without adminAuth", async () => {
    const nr = await nodeRed([]);
    const ctx = makeContext({ device: deviceFor(nr), checkId: defaultPasswords.id, facts: { "tcp.services": [{ port: nr.port, name: "http", tls: false }] } });
    expect(await defaultPasswords.run(ctx)).toEqual({ verdict: "pass", summary: "no telnet, SSH, FTP, HTTP, RTSP, MQTT or SNMP login exposed" });
  });
});

describe("harness/data/form-logins.yaml", () => {
  it("loads Node-RED's entry, with its source, and a malformed entry is refused with where and why", async () => {
    const [first] = formLibrary();
    expect(first).toMatchObject({ id: "node-red-admin", request: { method: "POST", path: "/auth/token" }, success: { jsonKey: "access_token" } });
    expect(formLibrary().every((e) => e.source.length > 0)).toBe(true);
    const file = join(mkdtempSync(join(tmpdir(), "iotcert-form-logins-")), "form-logins.yaml");
    writeFileSync(file, stringify({ logins: [{ ...first, request: { ...first!.request, path: "auth/token" }, success: {} }] }));
    const issues = (await validateDataFile(file, dataFileOf(file)!)).map(formatIssue);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^.*form-logins\.yaml:\d+:\d+: logins\[0\]\.request\.path: expected a path beginning with \/, got "auth\/token"$/);
    expect(issues[1]).toMatch(/logins\[0\]\.success: must have at least one of status, locationIncludes, bodyIncludes, setsCookie, jsonKey$/);
  });
});

describe("credentials.default-passwords on HTTP Basic logins that begin refusing", () => {
  it("stops at the first 429 (node:http server that rate-limits after 3 wrong passwords): inconclusive, with why", async () => {
    let withCredentials = 0;
    const server = createServer((req, res) => {
      if (!req.headers.authorization) return void res.writeHead(401, { "www-authenticate": 'Basic realm="cam"' }).end();
      withCredentials++;
      if (withCredentials > 3) return void res.writeHead(429, { "retry-after": "60" }).end();
      res.writeHead(401, { "www-authenticate": 'Basic realm="cam"' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const device: Descriptor = { id: "cam", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1", tcpPorts: [port] } };
      const ctx = makeContext({
        device, checkId: defaultPasswords.id, pace: Pace.named("fast", { loginsAtOnce: 1, attemptsPerService: 20 }),
        facts: { "tcp.services": [{ port, name: "http", tls: false, http: [{ path: "/", status: 401, authScheme: "basic", realm: "cam" }] }] },
      });
      const outcome = await defaultPasswords.run(ctx);

      expect(outcome.verdict).toBe("inconclusive");
      expect(outcome.summary).toBe(
        `http on port ${port}: only 3 of 20 pairs tried (stopped after 4 attempts: the login began refusing (HTTP 429); ` +
        "the remaining 16 pairs were not tried to avoid locking out the real account)",
      );
      expect(withCredentials).toBe(4);
      expect(outcome.findings).toEqual([expect.objectContaining({ severity: "info", evidence: expect.objectContaining({ lockout: "the login began refusing (HTTP 429)" }) })]);

      // The brute-force check takes the lockout as seen (5.1-5) and sends that login nothing more
      const after = makeContext({
        device, checkId: bruteforceProtection.id,
        facts: { "tcp.services": ctx.facts.get("tcp.services")!, "credentials.lockouts": ctx.facts.get("credentials.lockouts")! },
      });
      const protection = await bruteforceProtection.run(after);
      expect(protection).toMatchObject({
        verdict: "pass",
        summary: `http on port ${port} locks out (seen by credentials.default-passwords: after 4 attempts the login began refusing (HTTP 429))`,
      });
      expect(withCredentials).toBe(4);
      expect(after.ledger.all()).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("credentials.default-passwords on a described form whose refusal changes", () => {
  it("takes a different refusal for a user name refused 3 times as a lockout (node:http form that locks an account after 3 failures)", async () => {
    const failures = new Map<string, number>();
    let posts = 0;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        posts++;
        const form = new URLSearchParams(body);
        const user = form.get("user") ?? "";
        if (!user || !form.get("pass")) return void res.writeHead(400).end("missing field");
        const n = failures.get(user) ?? 0;
        if (n >= 3) return void res.writeHead(403, { "content-type": "text/html" }).end("<p>account locked</p>");
        failures.set(user, n + 1);
        res.writeHead(200, { "content-type": "text/html" }).end('<form><input name="user"><input type="password" name="pass"></form><p>wrong password</p>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const device: Descriptor = {
        id: "plug", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1", tcpPorts: [port] },
        loginForms: [{ url: `http://127.0.0.1:${port}/login`, usernameField: "user", passwordField: "pass", success: { status: 302 } }],
      };
      const ctx = makeContext({ device, checkId: defaultPasswords.id, pace: Pace.named("fast", { loginsAtOnce: 1, attemptsPerService: 30 }), facts: { "tcp.services": [] } });
      const outcome = await defaultPasswords.run(ctx);

      expect(outcome.verdict).toBe("inconclusive");
      expect(outcome.summary).toMatch(new RegExp(
        `^form /login on port ${port}: only \\d+ of 30 pairs tried \\(stopped after (\\d+) attempts: the login began refusing ` +
        "\\(HTTP 403 after 3 refusals with HTTP 200 for the same user name\\); the remaining \\d+ pairs were not tried to avoid locking out the real account\\)$",
      ));
      // The empty pairs' 400s were refusals, not a lockout; the first 403 was the last answer asked for
      const sent = Number(/stopped after (\d+) attempts/.exec(outcome.summary)![1]);
      expect(posts).toBe(1 + sent);
      expect(failures.get("admin")).toBe(3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
