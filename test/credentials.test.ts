import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { startPlug } from "../devices/simulated/plug.js";
import { startThermostat } from "../devices/simulated/thermostat.js";
import type { SimulatedDevice } from "../devices/simulated/device.js";
import { candidatesFor } from "../harness/checks/credentials/credential-list.js";
import { defaultPasswords } from "../harness/checks/credentials/default-passwords.js";
import { ProbeLedger } from "../harness/core/evidence.js";
import type { Service } from "../harness/core/facts.js";
import { Pace } from "../harness/core/pace.js";
import { formatPortSet } from "../harness/core/ports.js";
import { Scope } from "../harness/core/scope.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext, sentProbes } from "./helpers/context.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

async function started(start: () => Promise<SimulatedDevice>): Promise<SimulatedDevice> {
  const device = await start();
  cleanup.push(() => device.stop());
  return device;
}

/** What surface.services publishes for the plug. */
function plugServices(plug: SimulatedDevice): Service[] {
  return [
    { port: plug.ports.telnet!, name: "telnet", tls: false },
    { port: plug.ports.http!, name: "http", tls: false, http: [{ path: "/", status: 401, authScheme: "basic", realm: "SmartPlug" }] },
    { port: plug.ports.debug!, name: "unknown", tls: false, banner: "debug> " },
  ];
}

/** A port in the device's window that nothing listens on. */
const unusedPort = (d: SimulatedDevice) => Number(String(d.descriptor.network!.tcpPorts).split("-")[0]) + 1;

const WRONG = [1, 2, 3, 4, 5].map((n) => ({ username: "root", password: `wrong${n}` }));

describe("credentials.default-passwords", () => {
  it("fails the plug: telnet takes Mirai's root/xc3511 and the web page admin/admin", async () => {
    const plug = await started(startPlug);
    // One pair at a time, so the connections counted below are one per pair tried
    const ctx = makeContext({ device: plug.descriptor, checkId: defaultPasswords.id, facts: { "tcp.services": plugServices(plug) }, pace: Pace.named("fast", { loginsAtOnce: 1 }) });
    const outcome = await defaultPasswords.run(ctx);

    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([
      {
        severity: "critical",
        title: `telnet on port ${plug.ports.telnet} accepts a default password for "root"`,
        target: { transport: "tcp", port: plug.ports.telnet, service: "telnet" },
        evidence: expect.objectContaining({
          service: "telnet", port: plug.ports.telnet, username: "root", password: "xc3511", source: "mirai", attemptsBeforeSuccess: 0,
          transcript: expect.stringContaining("BusyBox"),
        }),
      },
      {
        severity: "critical",
        title: `http on port ${plug.ports.http} accepts a default password for "admin"`,
        target: { transport: "tcp", port: plug.ports.http, service: "http" },
        evidence: { service: "http", port: plug.ports.http, username: "admin", password: "admin", source: "iot-defaults", attemptsBeforeSuccess: 0 },
      },
    ]);
    for (const f of outcome.findings ?? []) expect(f.title).not.toMatch(/xc3511|"admin"\/|admin\/admin/);
    // What worked is published for the comparison with sibling units
    expect(ctx.facts.get("credentials.accepted")).toEqual([
      { login: { name: "telnet", kind: "telnet", port: plug.ports.telnet, tls: false }, username: "root", password: "xc3511", source: "mirai", unique: false },
      { login: expect.objectContaining({ name: "http", kind: "http", port: plug.ports.http }), username: "admin", password: "admin", source: "iot-defaults", unique: false },
    ]);
    expect(outcome.summary).not.toContain("xc3511");
    // One connection per login, plus the unauthenticated GET that showed the page needs a login and
    // the GET that asked whether it is Node-RED (harness/data/form-logins.yaml)
    const [http, telnet] = [plug.ports.http!, plug.ports.telnet!];
    expect(sentProbes(ctx.ledger)).toEqual([
      { check: ctx.checkId, address: plug.host, ports: formatPortSet([telnet, http]), protocol: "tcp", count: 4 },
    ]);
  });

  it("tries declared and user credentials first, and finds the default later in the list", async () => {
    const plug = await started(startPlug);
    const device: Descriptor = { ...plug.descriptor, declared: { ...plug.descriptor.declared, credentials: [{ username: "root", password: "label-1234", service: "telnet" }] } };
    const ctx = makeContext({
      device, checkId: defaultPasswords.id,
      facts: { "tcp.services": plugServices(plug).filter((s) => s.name === "telnet") },
      options: { extraCredentials: WRONG.slice(0, 2) },
    });
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.[0]?.evidence).toMatchObject({ username: "root", source: "mirai", attemptsBeforeSuccess: 3 });
  });

  it("passes the thermostat: only the declared per-unit credential works, reported as info", async () => {
    const thermostat = await started(startThermostat);
    const ctx = makeContext({
      device: thermostat.descriptor, checkId: defaultPasswords.id,
      pace: Pace.named("fast", { attemptsPerService: 20 }),
      facts: { "tcp.services": [{ port: thermostat.ports.https!, name: "https", tls: true, http: [{ path: "/", status: 401, authScheme: "basic", realm: "Nordlys T2" }] }] },
    });
    const outcome = await defaultPasswords.run(ctx);

    expect(outcome.verdict).toBe("pass");
    expect(outcome.summary).toBe(`no default password accepted: 21 pairs tried on https on port ${thermostat.ports.https}`);
    expect(outcome.findings).toEqual([{
      severity: "info",
      title: `https on port ${thermostat.ports.https} accepts the declared per-unit credential for "admin"`,
      target: { transport: "tcp", port: thermostat.ports.https, service: "https" },
      evidence: { service: "https", port: thermostat.ports.https, username: "admin", source: "declared", unique: true },
    }]);
    const secret = thermostat.descriptor.declared!.credentials![0]!.password;
    expect(JSON.stringify(outcome)).not.toContain(secret);
  });

  it("is inconclusive, with the pairs really tried, when the device freezes mid-run", async () => {
    const plug = await started(startPlug);
    // The third connection finds the device crashed (and so does the retry)
    let probes = 0;
    const ledger = new (class extends ProbeLedger {
      override record(check: string, address: string, port: number, protocol: string): void {
        super.record(check, address, port, protocol);
        if (++probes === 3) plug.freeze();
      }
    })();
    const ctx = makeContext({
      device: plug.descriptor, checkId: defaultPasswords.id, ledger,
      pace: Pace.named("fast", { attemptsPerService: 10, loginsAtOnce: 1 }),
      facts: { "tcp.services": plugServices(plug).filter((s) => s.name === "telnet") },
      options: { extraCredentials: WRONG },
    });
    const outcome = await defaultPasswords.run(ctx);

    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(new RegExp(`^telnet on port ${plug.ports.telnet}: only 2 of 10 pairs tried \\(.*refused`));
    expect(outcome.evidence).toEqual({ services: [expect.objectContaining({ tried: 2, of: 10 })] });
    expect(probes).toBe(4);
  });

  it("tries up to the pace's logins at once on a service, and cuts the rest short once a pair works", async () => {
    // A web login that takes 100 ms to refuse, like an embedded server holding its 401
    let now = 0;
    let most = 0;
    let received = 0;
    const server = createHttpServer((req, res) => {
      most = Math.max(most, ++now);
      const given = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      if (given) received++;
      const ok = given === "admin:hunter2";
      setTimeout(() => {
        now--;
        res.writeHead(ok ? 200 : 401, { "www-authenticate": 'Basic realm="cam"', connection: "close" }).end();
      }, ok ? 0 : 100);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const device: Descriptor = { id: "cam", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1", tcpPorts: String(port) } };
    const list = Array.from({ length: 40 }, (_, i) => ({ username: "admin", password: i === 30 ? "hunter2" : `wrong${i}` }));
    type Evidence = { services: { tried: number; abandoned?: number }[] };
    const run = async (pace: Pace) => {
      // the server still finishes the requests a previous run cut short
      while (now > 0) await sleep(20);
      most = 0;
      received = 0;
      const outcome = await defaultPasswords.run(makeContext({
        device, checkId: defaultPasswords.id, pace, options: { extraCredentials: list },
        facts: { "tcp.services": [{ port, name: "http", tls: false, http: [{ path: "/", status: 401, authScheme: "basic" }] }] },
      }));
      return { outcome, ...(outcome.evidence as Evidence).services[0]! };
    };

    const fast = await run(Pace.named("fast", { attemptsPerService: 40 }));
    expect(fast.outcome.verdict).toBe("fail");
    expect(fast.outcome.findings?.[0]?.evidence).toMatchObject({ username: "admin", password: "hunter2", attemptsBeforeSuccess: 30 });
    expect(most).toBe(16);
    // Every pair sent was either answered and counted, or under way when hunter2 worked and cut short
    expect(fast.tried + (fast.abandoned ?? 0)).toBe(received);
    expect(fast.abandoned).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(31 + 15);

    const gentle = await run(Pace.named("gentle", { attemptsPerService: 40, connectionsPerSecond: 1000 }));
    expect(gentle.outcome.verdict).toBe("fail");
    expect(most).toBe(1);
    expect(gentle.tried).toBe(31);
    expect(gentle.abandoned).toBeUndefined();
  });

  it("closes lanes a device cannot keep up with, gives their pairs back, and loses none", async () => {
    // An embedded web server that serves three connections at once and hangs up on the rest
    let answered = 0;
    const server = createHttpServer((req, res) => {
      const given = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      if (given) answered++;
      setTimeout(() => res.writeHead(given === "admin:hunter2" ? 200 : 401, { "www-authenticate": 'Basic realm="cam"', connection: "close" }).end(), 50);
    });
    server.maxConnections = 3;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const device: Descriptor = { id: "cam", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1", tcpPorts: String(port) } };
    const run = (list: { username: string; password: string }[]) => {
      answered = 0;
      return defaultPasswords.run(makeContext({
        device, checkId: defaultPasswords.id, pace: Pace.named("fast", { attemptsPerService: list.length }), options: { extraCredentials: list },
        facts: { "tcp.services": [{ port, name: "http", tls: false, http: [{ path: "/", status: 401, authScheme: "basic" }] }] },
      }));
    };
    type Evidence = { services: { tried: number; loginsAtOnce?: { offered: number; kept: number } }[] };
    const wrong = Array.from({ length: 30 }, (_, i) => ({ username: "admin", password: `wrong${i}` }));

    // A pass means every pair got its answer: none lost with a closed lane, none counted twice
    const pass = await run(wrong);
    expect(pass.verdict).toBe("pass");
    const [service] = (pass.evidence as Evidence).services;
    expect(service!.tried).toBe(30);
    expect(answered).toBe(30);
    expect(service!.loginsAtOnce?.offered).toBe(16);
    // Lanes whose attempt and its retry found the server full closed; the others went on
    expect(service!.loginsAtOnce?.kept).toBeGreaterThanOrEqual(1);
    expect(service!.loginsAtOnce?.kept).toBeLessThan(16);

    const fail = await run([...wrong.slice(0, 29), { username: "admin", password: "hunter2" }]);
    expect(fail.verdict).toBe("fail");
    expect(fail.findings?.[0]?.evidence).toMatchObject({ password: "hunter2", attemptsBeforeSuccess: 29 });
    expect((fail.evidence as Evidence).services[0]!.tried).toBe(answered);
  });

  it("is inconclusive on a refused port, and fails when another service gave in", async () => {
    const plug = await started(startPlug);
    const refused: Service = { port: unusedPort(plug), name: "http", tls: false, http: [{ path: "/", status: 401, authScheme: "basic" }] };
    const alone = makeContext({ device: plug.descriptor, checkId: defaultPasswords.id, facts: { "tcp.services": [refused] } });
    const outcome = await defaultPasswords.run(alone);
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/: only 0 of 100 pairs tried \(.*refused/);

    const withTelnet = makeContext({ device: plug.descriptor, checkId: defaultPasswords.id, facts: { "tcp.services": [plugServices(plug)[0]!, refused] } });
    expect((await defaultPasswords.run(withTelnet)).verdict).toBe("fail");
  });

  it("passes when no telnet or HTTP login is exposed, and is inconclusive without a service scan", async () => {
    const device: Descriptor = { id: "d", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" } };
    const open = makeContext({ device, facts: { "tcp.services": [{ port: 443, name: "https", tls: true, http: [{ path: "/", status: 200 }] }] } });
    expect(await defaultPasswords.run(open)).toEqual({ verdict: "pass", summary: "no telnet, SSH, FTP, HTTP, RTSP, MQTT or SNMP login exposed" });
    expect((await defaultPasswords.run(makeContext({ device }))).verdict).toBe("inconclusive");
    // Only the GET that asked whether the web service is a known stack's login (form-logins.yaml)
    expect(sentProbes(open.ledger)).toEqual([{ check: open.checkId, address: "127.0.0.1", ports: "443", protocol: "tcp", count: 1 }]);
  });

  it("never contacts an address the descriptor does not name", async () => {
    let connections = 0;
    const server = createServer((s: Socket) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanup.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as { port: number }).port;
    const device: Descriptor = { id: "d", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" } };
    const ctx = makeContext({
      device,
      // The descriptor the run was given names 127.0.0.2; the target says 127.0.0.1
      scope: Scope.fromDescriptor({ ...device, network: { address: "127.0.0.2" } }),
      facts: { "tcp.services": [{ port, name: "telnet", tls: false }] },
    });
    await expect(defaultPasswords.run(ctx)).rejects.toMatchObject({ name: "TransportError", kind: "out-of-scope" });
    await sleep(50);
    expect(connections).toBe(0);
    expect(ctx.ledger.all()).toEqual([]);
  });

  it("stops promptly when the run is aborted", async () => {
    const plug = await started(startPlug);
    // A refused connection is retried after a pause: the abort lands in that pause
    const ctx = makeContext({ device: plug.descriptor, facts: { "tcp.services": [{ port: unusedPort(plug), name: "telnet", tls: false }] } });
    const run = defaultPasswords.run(ctx);
    await sleep(100);
    const aborted = performance.now();
    ctx.abort(new Error("interrupted"));
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - aborted).toBeLessThan(200);
  });

  it("plans one line per kind of login and per described form, with the pace's attempt limit", () => {
    const device: Descriptor = {
      id: "d", vendor: "V", model: "M", firmware: "1", network: { address: "192.0.2.10" },
      loginForms: [{ url: "http://192.0.2.10/login.cgi", usernameField: "u", passwordField: "p", success: { status: 302 } }],
    };
    const count = "up to 10 per service";
    expect(defaultPasswords.plan(device, Pace.named("gentle"))).toEqual([
      { address: "192.0.2.10", port: "each telnet login found", protocol: "telnet", count },
      { address: "192.0.2.10", port: "each SSH login found", protocol: "ssh", count, note: "one connection first to learn the offered methods" },
      { address: "192.0.2.10", port: "each FTP login found", protocol: "ftp", count, note: "anonymous first" },
      { address: "192.0.2.10", port: "each HTTP Basic or Digest login found", protocol: "http", count, note: "one GET without credentials first" },
      { address: "192.0.2.10", port: "http://192.0.2.10/login.cgi", protocol: "http form", count, note: "one random pair first, to check the success conditions" },
      {
        address: "192.0.2.10", port: "each HTTP service found", protocol: "http", count: "1 GET (harness/data/form-logins.yaml)",
        note: "then, on a web login recognised, up to 10 per service as for a described form, below the lockout it documents",
      },
      { address: "192.0.2.10", port: "each RTSP service found", protocol: "rtsp", count, note: "one DESCRIBE without credentials first" },
      { address: "192.0.2.10", port: "each MQTT broker found", protocol: "mqtt", count, note: "a CONNECT without credentials first" },
      { address: "192.0.2.10", port: "each SNMP agent found", protocol: "snmp", count: "up to 10 communities" },
    ]);
  });
});

describe("candidate credentials", () => {
  const device: Descriptor = {
    id: "d", vendor: "V", model: "M", firmware: "1",
    declared: {
      credentials: [
        { username: "admin", password: "unit-secret", unique: true },
        { username: "root", password: "only-telnet", service: "telnet" },
        { username: "web", password: "only-https", service: "https" },
        { username: "web", password: "any-http", service: "http" },
      ],
    },
  };
  const options = { allowFragile: false, stateChanging: false, extraCredentials: [{ username: "root", password: "xc3511" }, { username: "me", password: "mine" }] };

  it("orders telnet: declared for it, the user's, Mirai, then the IoT defaults, deduplicated and capped", () => {
    const list = candidatesFor(device, options, { name: "telnet", kind: "telnet" }, 63);
    expect(list.slice(0, 4)).toEqual([
      { username: "admin", password: "unit-secret", source: "declared", unique: true },
      { username: "root", password: "only-telnet", source: "declared", unique: false },
      { username: "root", password: "xc3511", source: "user", unique: false },
      { username: "me", password: "mine", source: "user", unique: false },
    ]);
    // Declared ones are beyond the cap; root/xc3511 is not repeated from Mirai's list
    expect(list).toHaveLength(2 + 63);
    expect(list.filter((c) => c.username === "root" && c.password === "xc3511")).toHaveLength(1);
    expect(list[4]).toEqual({ username: "root", password: "vizxv", source: "mirai", unique: false });
    expect(list.filter((c) => c.source === "mirai")).toHaveLength(60);
    expect(list.at(-1)?.source).toBe("iot-defaults");
    expect(list.every((c) => c.username !== "")).toBe(true);
  });

  it("orders HTTP: the IoT defaults (most vendors first) before Mirai, empty user names allowed", () => {
    const list = candidatesFor(device, { allowFragile: false, stateChanging: false }, { name: "https", kind: "http" }, 5);
    expect(list.map((c) => `${c.source}:${c.username}/${c.password}`)).toEqual([
      "declared:admin/unit-secret",
      "declared:web/only-https",
      "declared:web/any-http",
      "iot-defaults:admin/admin",
      "iot-defaults:/",
      "iot-defaults:admin/",
      "iot-defaults:admin/password",
      "iot-defaults:/admin",
    ]);
  });
});
