// credentials.default-passwords on MQTT (in-process aedes brokers, MQTT 3.1.1) and SNMP
// communities (net-snmp's in-process Agent), plus a raw TCP server answering CONNECT with garbage.
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { Aedes, type AuthenticateError } from "aedes";
import { afterEach, describe, expect, it } from "vitest";
import { defaultPasswords } from "../harness/checks/credentials/default-passwords.js";
import { mqttLoginOf } from "../harness/checks/credentials/logins/mqtt.js";
import { snmpLoginOf } from "../harness/checks/credentials/logins/snmp.js";
import type { Service, UdpService } from "../harness/core/facts.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { connectPacket, parseConnack } from "../harness/transports/mqtt.js";
import { makeContext } from "./helpers/context.js";

// net-snmp ships no types
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const snmp = createRequire(import.meta.url)("net-snmp") as any;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

const device = (extra: Partial<Descriptor> = {}): Descriptor => ({
  id: "t", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" }, ...extra,
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

/** An aedes broker on loopback; `authenticate` absent = anonymous allowed. */
async function broker(authenticate?: Parameters<typeof Aedes.createBroker>[0] extends infer O ? O extends { authenticate?: infer A } ? A : never : never): Promise<number> {
  const aedes = await Aedes.createBroker(authenticate ? { authenticate } : {});
  const server = createServer((socket) => aedes.handle(socket));
  const port = await listen(server);
  cleanup.push(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  return port;
}

const refuse = (code: 4 | 5) => Object.assign(new Error(code === 4 ? "bad user name or password" : "not authorized"), { returnCode: code }) as AuthenticateError;

/** admin/admin only; no user name = 5 (not authorized), a wrong pair = 4 (bad credentials). */
const adminOnly = async () => {
  const seen: (string | undefined)[] = [];
  const port = await broker((_client, username, password, done) => {
    seen.push(username);
    if (username === undefined) return done(refuse(5), false);
    if (username === "admin" && password?.toString() === "admin") return done(null, true);
    done(refuse(4), false);
  });
  return { port, seen };
};

const mqttFacts = (port: number, name = "mqtt"): Service[] => [{ port, name, tls: false }];

describe("MQTT logins", () => {
  it("builds CONNECT packets for 3.1.1 and 5 and parses CONNACKs strictly", () => {
    const v4 = connectPacket({ version: 4, username: "a", password: "b" }, "c");
    expect(v4.toString("hex")).toBe("101300044d51545404c2001e000163000161000162");
    const v5 = connectPacket({ version: 5 }, "c");
    expect(v5.toString("hex")).toBe("100e00044d5154540502001e00000163");
    expect(parseConnack(Buffer.from([0x20, 2, 0, 5]), 4)).toMatchObject({ code: 5, version: 4 });
    expect(parseConnack(Buffer.from([0x20, 3, 0, 0x86, 0]), 5)).toMatchObject({ code: 0x86, version: 5 });
    expect(() => parseConnack(Buffer.from([0x30, 2, 0, 0]), 4)).toThrow(/not a CONNACK/);
    expect(() => parseConnack(Buffer.from([0x20, 3, 0, 0, 0]), 4)).toThrow(/not a CONNACK/);
  });

  it("over TLS, names the broker in SNI when its address is a host name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iotcert-mqtts-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    const aedes = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => done(null, username === "admin" && password?.toString() === "admin"),
    });
    cleanup.push(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
    const names: string[] = [];
    const server = createTlsServer({
      key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")),
      SNICallback: (name, done) => {
        names.push(name);
        done(null);
      },
    }, (socket) => aedes.handle(socket));
    const port = await listen(server as unknown as Server);
    const ctx = makeContext({ device: device({ network: { address: "localhost" } }) });
    const login = mqttLoginOf(ctx, "localhost", { name: "mqtts", kind: "mqtt", port, tls: true });
    expect(await login.attempt({ username: "admin", password: "admin", source: "user", unique: false })).toMatchObject({ verdict: "success" });
    expect(new Set(names)).toEqual(new Set(["localhost"]));
  });

  it("fails on a broker that takes an anonymous CONNECT, tries no pairs, and leaves the finding to mqtt.anonymous-access", async () => {
    const port = await broker();
    const ctx = makeContext({ device: device(), checkId: defaultPasswords.id, facts: { "tcp.services": mqttFacts(port) } });
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toBe(`anyone logs in without credentials on mqtt on port ${port} (the finding is mqtt.anonymous-access's)`);
    expect(outcome.findings).toEqual([]);
    expect(outcome.evidence?.services).toEqual([expect.objectContaining({ port, tried: 0, anonymous: true, findingBy: "mqtt.anonymous-access", transcript: expect.stringContaining("CONNACK code 0x00") })]);
    // One connection: the anonymous CONNECT, recorded in the probe ledger
    expect(ctx.ledger.all()).toMatchObject([{ check: defaultPasswords.id, address: "127.0.0.1", protocol: "tcp", count: 1 }]);
  });

  it("then tries pairs when anonymous is refused (5), counts 4 as a wrong password, and finds admin/admin", async () => {
    const { port, seen } = await adminOnly();
    const ctx = makeContext({
      device: device({ declared: { credentials: [{ username: "admin", password: "not-it", service: "mqtt" }] } }),
      checkId: defaultPasswords.id,
      facts: { "tcp.services": mqttFacts(port) },
      // one pair at a time, so the broker's log of CONNECTs is the list's order
      pace: Pace.named("fast", { loginsAtOnce: 1 }),
    });
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("fail");
    expect(seen).toEqual([undefined, "admin", "admin"]);
    const finding = outcome.findings!.find((f) => f.severity === "critical")!;
    expect(finding.title).toMatch(/accepts a default password for "admin"/);
    expect(finding.evidence).toMatchObject({ username: "admin", password: "admin", source: "iot-defaults", attemptsBeforeSuccess: 1 });
    expect(String(finding.evidence!.transcript)).toMatch(/CONNACK code 0x00/);
  });

  it("judges single attempts by CONNACK code", async () => {
    const { port } = await adminOnly();
    const ctx = makeContext({ device: device() });
    const login = mqttLoginOf(ctx, "127.0.0.1", { name: "mqtt", kind: "mqtt", port, tls: false });
    expect((await login.anonymous!()).verdict).toBe("rejected");
    expect(await login.attempt({ username: "root", password: "x", source: "user", unique: false })).toMatchObject({ verdict: "rejected", transcript: expect.stringMatching(/0x04 \(bad-credentials\)/) });
    expect((await login.attempt({ username: "admin", password: "admin", source: "user", unique: false })).verdict).toBe("success");
  });

  it("is inconclusive, neither crashed nor hung, when the 'broker' answers CONNECT with garbage", async () => {
    const server = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end(Buffer.from([0x20, 0x03, 0xff, 0x00, 0x41])));
    });
    const port = await listen(server);
    const ctx = makeContext({ device: device(), checkId: defaultPasswords.id, facts: { "tcp.services": mqttFacts(port) } });
    const started = performance.now();
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/protocol: .*not a CONNACK/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("asks again in MQTT 5 when a broker refuses 3.1.1 (code 1), and reads 5's reason codes", async () => {
    // A hand-built MQTT-5-only responder: aedes speaks 3.1.1 only (the lab's mosquitto covers 5)
    const levels: number[] = [];
    const server = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", (connect: Buffer) => {
        const level = connect[8]!;
        levels.push(level);
        const hasUser = (connect[9]! & 0x80) !== 0;
        const ok = hasUser && connect.includes(Buffer.from("admin\u0000\u0005admin"));
        socket.end(Buffer.from(level !== 5 ? [0x20, 2, 0, 1] : [0x20, 3, 0, !hasUser ? 0x87 : ok ? 0 : 0x86, 0]));
      });
    });
    const port = await listen(server);
    const ctx = makeContext({ device: device() });
    const login = mqttLoginOf(ctx, "127.0.0.1", { name: "mqtt", kind: "mqtt", port, tls: false });
    expect(await login.anonymous!()).toMatchObject({ verdict: "rejected", transcript: expect.stringMatching(/MQTT 5 CONNACK code 0x87/) });
    expect(await login.attempt({ username: "admin", password: "x", source: "user", unique: false })).toMatchObject({ verdict: "rejected", transcript: expect.stringMatching(/0x86/) });
    expect((await login.attempt({ username: "admin", password: "admin", source: "user", unique: false })).verdict).toBe("success");
    expect(levels).toEqual([4, 5, 5, 5]);
  });

  it("is inconclusive when the broker refuses for a reason other than credentials (3 = server unavailable)", async () => {
    const server = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end(Buffer.from([0x20, 0x02, 0x00, 0x03])));
    });
    const port = await listen(server);
    const ctx = makeContext({ device: device(), checkId: defaultPasswords.id, facts: { "tcp.services": mqttFacts(port) } });
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/says nothing about the credentials/);
  });
});

async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** net-snmp's agent: "public" reads, "private" reads and writes; sysDescr and sysContact. */
async function agent(): Promise<{ port: number; contact: () => string }> {
  const port = await freeUdpPort();
  const a = snmp.createAgent({ port, address: "127.0.0.1", accessControlModelType: snmp.AccessControlModelType.Simple }, () => {});
  const authorizer = a.getAuthorizer();
  authorizer.addCommunity("public");
  authorizer.addCommunity("private");
  const acm = authorizer.getAccessControlModel();
  acm.setCommunityAccess("public", snmp.AccessLevel.ReadOnly);
  acm.setCommunityAccess("private", snmp.AccessLevel.ReadWrite);
  const mib = a.getMib();
  for (const [name, oid, access] of [["sysDescr", "1.3.6.1.2.1.1.1", "read-only"], ["sysContact", "1.3.6.1.2.1.1.4", "read-write"]] as const) {
    mib.registerProvider({ name, type: snmp.MibProviderType.Scalar, oid, scalarType: snmp.ObjectType.OctetString, maxAccess: snmp.MaxAccess[access] });
  }
  mib.setScalarValue("sysDescr", "Test agent 1.0");
  mib.setScalarValue("sysContact", "ops@example.test");
  cleanup.push(() => a.close());
  return { port, contact: () => String(mib.getScalarValue("sysContact")) };
}

const snmpFacts = (port: number): UdpService[] => [{ port, service: "snmp", requestBytes: 43, responseBytes: 60 }];
const community = (password: string) => ({ username: "", password, source: "user" as const, unique: false });

describe("SNMP communities", () => {
  it("finds every community that reads, \"public\" and \"private\", says write access was not tested, and rates them high", async () => {
    const { port } = await agent();
    // 20 communities, 16 at once, each wrong one silent for 1.5 s: about 3 s
    const ctx = makeContext({ device: device(), checkId: defaultPasswords.id, facts: { "tcp.services": [], "udp.services": snmpFacts(port) }, pace: Pace.named("fast", { attemptsPerService: 20 }) });
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings!.map((f) => f.evidence?.community)).toEqual(["public", "private"]);
    const finding = outcome.findings![0]!;
    expect(finding.severity).toBe("high");
    expect(finding.evidence).toMatchObject({ source: "snmp-communities", attemptsBeforeSuccess: 0, access: "read; write not tested" });
    expect(finding.title).toBe(`snmp on port ${port}/udp accepts a default community (read; write not tested)`);
    expect(finding.title).not.toContain("public");
    expect(finding.target).toMatchObject({ transport: "udp", port, service: "snmp" });
    expect(String(finding.evidence!.transcript)).toMatch(/sysDescr.0 = "Test agent 1.0"; write access not tested: a SET changes the device's state, which needs --state-changing/);
    // Until the agent has answered, a community goes as v2c and as v1 at once; it answered v2c
    expect(String(finding.evidence!.transcript)).toContain("the community reads (SNMPv2c)");
    expect(outcome.findings![1]!.evidence).toMatchObject({ attemptsBeforeSuccess: 1, access: "read; write not tested" });
    // Every community the pace allows was asked, once each, then the check stopped
    expect(outcome.evidence).toMatchObject({ services: [{ service: "snmp", tried: 20, of: 20 }] });
  });

  it("counts silence as a wrong community, and with --state-changing tells write from read without changing anything", async () => {
    const { port, contact } = await agent();
    const ctx = makeContext({ device: device(), options: { stateChanging: true } });
    const login = snmpLoginOf(ctx, "127.0.0.1", { name: "snmp", kind: "snmp", port, tls: false });
    expect(await login.attempt(community("wrong"))).toMatchObject({ verdict: "rejected" });
    const pub = await login.attempt(community("public"));
    expect(pub).toMatchObject({ verdict: "success", transcript: expect.stringMatching(/read-only/) });
    const priv = await login.attempt(community("private"));
    expect(priv).toMatchObject({ verdict: "success", access: "read, write", readOnly: false, transcript: expect.stringMatching(/WRITE access/) });
    expect(contact()).toBe("ops@example.test");
    // A wrong community after a working one: the agent is asked again with the working one first
    expect((await login.attempt(community("wrong2"))).verdict).toBe("rejected");
  });

  it("does not call silence a wrong community once the agent is gone", async () => {
    const { port } = await agent();
    const ctx = makeContext({ device: device() });
    const login = snmpLoginOf(ctx, "127.0.0.1", { name: "snmp", kind: "snmp", port, tls: false });
    expect((await login.attempt(community("public"))).verdict).toBe("success");
    await cleanup.pop()!(); // the agent stops
    await expect(login.attempt(community("other"))).rejects.toMatchObject({ name: "TransportError" });
  });

  // No real agent sends these: a hostile device does. The "agent" answers every request with them.
  const hostile = async (answer: Buffer): Promise<number> => {
    const s = createSocket("udp4");
    s.on("message", (_m, from) => s.send(answer, from.port, from.address));
    await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
    cleanup.push(() => new Promise<void>((resolve) => s.close(() => resolve())));
    return s.address().port;
  };

  it.each([
    // A SEQUENCE whose BER length (65536) runs past the 11-byte datagram
    ["BER with a length past the datagram", Buffer.from("3084000100000201010406", "hex"), /malformed SNMP message/],
    ["a 64 KiB datagram", Buffer.concat([Buffer.from("3083010000020101", "hex"), Buffer.alloc(65_000, 0x41)]), /at least 4096 bytes/],
  ])("is inconclusive with the reason, neither crashed nor hung, when the agent answers with %s", async (_what, answer, reason) => {
    const port = await hostile(answer);
    const ctx = makeContext({ device: device(), checkId: defaultPasswords.id, facts: { "tcp.services": [], "udp.services": snmpFacts(port) }, pace: Pace.named("fast", { attemptsPerService: 5 }) });
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(reason);
    expect(outcome.findings).toEqual([]);
  });
});
