// The mqtt.* checks against in-process aedes brokers (plain and TLS, with mqtt.js clients standing
// for other devices), and raw TCP servers that answer with malformed CONNACKs, oversized publishes
// and floods: the checks must give an honest verdict and neither crash nor hang.
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Aedes, type AuthenticateError } from "aedes";
import mqtt from "mqtt";
import mqttPacket from "mqtt-packet";
import { afterEach, describe, expect, it } from "vitest";
import { anonymousAccess } from "../harness/checks/mqtt/anonymous-access.js";
import { transportSecurity } from "../harness/checks/mqtt/transport-security.js";
import { wildcardSubscribe } from "../harness/checks/mqtt/wildcard-subscribe.js";
import type { Service } from "../harness/core/facts.js";
import type { Descriptor } from "../harness/schema/types.js";
import { selfSignedCertificate } from "../harness/observe/self-signed.js";
import { redactReport } from "../reports/redact.js";
import { makeContext } from "./helpers/context.js";
import { sampleReport } from "./helpers/sample-report.js";

const HOST = "127.0.0.1";
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

async function listen(server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanup.push(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  return (server.address() as { port: number }).port;
}

type Authenticate = NonNullable<Parameters<typeof Aedes.createBroker>[0]>["authenticate"];

/** An aedes broker; records every PUBLISH a client sent it (not the broker's own $SYS). */
async function broker(opts: { authenticate?: Authenticate; tls?: { keyPem: string; certPem: string } } = {}) {
  const aedes = await Aedes.createBroker(opts.authenticate ? { authenticate: opts.authenticate } : {});
  const published: { clientId: string; topic: string }[] = [];
  aedes.on("publish", (packet, client) => {
    if (client) published.push({ clientId: client.id, topic: packet.topic });
  });
  const server = opts.tls ? createTlsServer({ key: opts.tls.keyPem, cert: opts.tls.certPem }, (s) => aedes.handle(s)) : createServer((s) => aedes.handle(s));
  const port = await listen(server as Server);
  cleanup.push(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  return { port, published, aedes };
}

/** Another device on the broker: an mqtt.js client that publishes. */
async function otherDevice(port: number, messages: { topic: string; payload: string; retain?: boolean }[], opts: { username?: string; password?: string } = {}) {
  const client = await mqtt.connectAsync(`mqtt://${HOST}:${port}`, { reconnectPeriod: 0, clientId: "thermostat-42", ...opts });
  cleanup.push(() => client.endAsync(true));
  for (const m of messages) await client.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain ?? false });
  return client;
}

const refuse = (code: 4 | 5) => Object.assign(new Error("refused"), { returnCode: code }) as AuthenticateError;
const adminOnly: Authenticate = (_c, username, password, done) => {
  if (username === undefined) return done(refuse(5), false);
  done(username === "admin" && password?.toString() === "s3cret-per-unit" ? null : refuse(4), username === "admin" && password?.toString() === "s3cret-per-unit");
};

const device = (extra: Partial<Descriptor> = {}): Descriptor => ({ id: "t", vendor: "V", model: "M", firmware: "1", network: { address: HOST }, ...extra });
const mqttService = (port: number, tls = false): Service => ({ port, name: tls ? "mqtts" : "mqtt", tls });

/** A raw TCP "broker": `onData` answers what the client sends. */
async function rawBroker(onData: (socket: Socket, data: Buffer) => void): Promise<number> {
  return listen(createServer((s) => {
    s.on("error", () => {});
    s.on("data", (d) => onData(s, d));
  }));
}
const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const SUBACK_OK = Buffer.from([0x90, 0x04, 0x00, 0x01, 0x00, 0x00]);

describe("mqtt.anonymous-access", () => {
  it("fails on a broker that takes a CONNECT without credentials, with the CONNACK codes as evidence", async () => {
    const { port } = await broker();
    const out = await anonymousAccess.run(makeContext({ device: device({ mqtt: { url: `mqtt://${HOST}:${port}` } }) }));
    expect(out.verdict).toBe("fail");
    expect(out.findings![0]!.title).toContain(`${HOST}:${port} accepts a CONNECT without credentials (MQTT 3.1.1`);
    const connacks = (out.evidence as { brokers: { connacks: { version: string; connack?: string }[] }[] }).brokers[0]!.connacks;
    expect(connacks[0]).toEqual({ version: "3.1.1", connack: "0x00", meaning: "accepted" });
    expect(connacks).toHaveLength(2);
  });

  it("passes on a broker that refuses (code 5), and finds it among the device's ports", async () => {
    const { port } = await broker({ authenticate: adminOnly });
    const out = await anonymousAccess.run(makeContext({ device: device(), facts: { "tcp.services": [mqttService(port)] } }));
    expect(out.verdict).toBe("pass");
    expect(out.summary).toContain("3.1.1: 0x05 not-authorized");
  });

  it("is not applicable without any broker", async () => {
    const out = await anonymousAccess.run(makeContext({ device: device(), facts: { "tcp.services": [] } }));
    expect(out.verdict).toBe("not-applicable");
  });

  it("is inconclusive, not crashed, when the CONNACK is malformed or never comes", async () => {
    const garbage = await rawBroker((s) => s.end(Buffer.from([0x20, 0xff, 0xff, 0xff, 0xff, 0x7f])));
    const wrong = await rawBroker((s) => s.write(Buffer.from([0x30, 0x02, 0x00, 0x00])));
    const out = await anonymousAccess.run(makeContext({ device: device(), facts: { "tcp.services": [mqttService(garbage), mqttService(wrong)] } }));
    expect(out.verdict).toBe("inconclusive");
    expect(out.summary).toMatch(/protocol/);
  });
});

describe("mqtt.wildcard-subscribe", () => {
  it("reads other devices' topics on an open broker, samples payloads, flags secrets, and never publishes", async () => {
    const b = await broker();
    await otherDevice(b.port, [
      { topic: "home/thermostat-42/state", payload: '{"temp":21.5,"owner":"alice"}', retain: true },
      { topic: "home/thermostat-42/config", payload: '{"wifi_ssid":"home","password":"hunter2-secret"}', retain: true },
    ]);
    const ctx = makeContext({ device: device({ mqtt: { url: `mqtt://${HOST}:${b.port}` } }) });
    const started = performance.now();
    const out = await wildcardSubscribe.run(ctx);
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(out.verdict).toBe("fail");
    const session = (out.evidence as { sessions: { topics: string[]; granted: number[]; samples: { topic: string; sampledPayload: string; retain: boolean }[] }[] }).sessions[0]!;
    expect(session.granted).toEqual([0, 0]);
    expect(session.topics).toEqual(expect.arrayContaining(["home/thermostat-42/state", "home/thermostat-42/config"]));
    expect(session.samples).toContainEqual({ topic: "home/thermostat-42/state", bytes: 29, retain: true, sampledPayload: '{"temp":21.5,"owner":"alice"}' });
    expect(out.findings![0]).toMatchObject({ severity: "high", title: expect.stringContaining("lets anyone subscribe to # and $SYS/#") });
    const secret = out.findings!.find((f) => f.title.includes("carries a password"))!;
    expect(secret.title).not.toContain("hunter2");
    expect(secret.evidence).toMatchObject({ topic: "home/thermostat-42/config", retain: true, password: "hunter2-secret" });
    // --redact hides the password and the payload samples
    const redacted = JSON.stringify(redactReport(sampleReport({
      findings: out.findings!.map((f) => ({ ...f, check: wildcardSubscribe.id })),
      checks: [{ id: wildcardSubscribe.id, title: wildcardSubscribe.title, verdict: out.verdict, summary: out.summary, durationMs: 0, evidence: out.evidence! }],
    })));
    expect(JSON.stringify(out)).toContain("alice");
    expect(redacted).not.toContain("hunter2");
    expect(redacted).not.toContain("alice");
    expect(b.published.filter((p) => p.clientId.startsWith("iotcert"))).toEqual([]);
  });

  it("tries the declared per-unit credential when anonymous is refused; on the device's own broker that passes", async () => {
    const b = await broker({ authenticate: adminOnly });
    const creds = { credentials: [{ username: "admin", password: "s3cret-per-unit", unique: true }] };
    const out = await wildcardSubscribe.run(makeContext({ device: device({ declared: creds }), facts: { "tcp.services": [mqttService(b.port)] } }));
    expect(out.summary).toContain("no credentials: CONNECT refused (not-authorized)");
    expect(out.summary).toContain("# and $SYS/# granted");
    expect(out.verdict).toBe("pass");
    expect(out.findings!.map((f) => f.severity)).toEqual(["info"]);
  });

  it("fails when a unit's own credential reads every topic of a shared broker", async () => {
    const b = await broker({ authenticate: adminOnly });
    // The broker is named by URL and is not the device's address: a broker shared by many units
    const out = await wildcardSubscribe.run(makeContext({
      device: device({ network: { address: "127.0.0.2" }, mqtt: { url: `mqtt://${HOST}:${b.port}` }, declared: { credentials: [{ username: "admin", password: "s3cret-per-unit", unique: true }] } }),
    }));
    expect(out.verdict).toBe("fail");
    expect(out.findings![0]).toMatchObject({ severity: "medium", title: expect.stringContaining("shared broker") });
  });

  it("passes when the broker refuses the wildcard subscriptions", async () => {
    const port = await rawBroker((s, d) => {
      if (d[0] === 0x10) s.write(CONNACK_OK);
      if (d[0] === 0x82) s.write(Buffer.from([0x90, 0x04, 0x00, 0x01, 0x80, 0x80]));
    });
    const out = await wildcardSubscribe.run(makeContext({ device: device(), facts: { "tcp.services": [mqttService(port)] } }));
    expect(out.verdict).toBe("pass");
    expect(out.summary).toContain("wildcards refused");
  });

  it("ends the session at a publish announced bigger than its cap, without buffering it, and still judges", async () => {
    let sentBytes = 0;
    const port = await rawBroker((s, d) => {
      if (d[0] === 0x10) s.write(CONNACK_OK);
      if (d[0] === 0x82) {
        s.write(SUBACK_OK);
        // A PUBLISH announcing 200 MB, then 1 MiB of it
        s.write(Buffer.from([0x30, 0x80, 0x80, 0xe8, 0x5f]));
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        for (let i = 0; i < 16; i++) s.write(chunk);
        sentBytes = 16 * chunk.length;
      }
    });
    const started = performance.now();
    const out = await wildcardSubscribe.run(makeContext({ device: device(), facts: { "tcp.services": [mqttService(port)] } }));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(sentBytes).toBe(1 << 20);
    const session = (out.evidence as { sessions: { end: string; detail: string }[] }).sessions[0]!;
    expect(session.end).toBe("oversized");
    expect(session.detail).toMatch(/announced/);
    expect(out.verdict).toBe("fail"); // the wildcards were granted before it
  });

  it("survives a flood and a malformed publish: bounded samples, the window kept", async () => {
    const pub = mqttPacket.generate({ cmd: "publish", topic: "flood/x", payload: Buffer.from("y"), qos: 0, retain: false, dup: false }, { protocolVersion: 4 });
    const flood = await rawBroker((s, d) => {
      if (d[0] === 0x10) s.write(CONNACK_OK);
      if (d[0] === 0x82) {
        s.write(SUBACK_OK);
        s.write(Buffer.concat(Array.from({ length: 5000 }, () => pub)));
      }
    });
    const broken = await rawBroker((s, d) => {
      if (d[0] === 0x10) s.write(CONNACK_OK);
      if (d[0] === 0x82) s.write(Buffer.concat([SUBACK_OK, Buffer.from([0x30, 0x03, 0xff, 0xff, 0x00])]));
    });
    const out = await wildcardSubscribe.run(makeContext({ device: device(), facts: { "tcp.services": [mqttService(flood), mqttService(broken)] } }));
    const sessions = (out.evidence as { sessions: { received: number; samples: unknown[]; end: string }[] }).sessions;
    expect(sessions[0]!.received).toBe(5000);
    expect(sessions[0]!.samples).toHaveLength(50);
    expect(sessions[1]!.end).toBe("malformed");
  });
});

describe("mqtt.transport-security", () => {
  it("fails on plaintext MQTT beside TLS, and shows the TLS broker's certificate from crypto.tls", async () => {
    const facts = {
      "tcp.services": [mqttService(1883), mqttService(8883, true)],
      "tls.certificates": [{ port: 8883, service: "mqtts", subject: "CN=plug.local", issuer: "CN=plug.local", selfSigned: true, notBefore: "", notAfter: "2040-01-01", keyType: "rsa", keyBits: 2048, subjectAltNames: [], sha256: "", publicKeySha256: "", der: "" }],
    };
    const out = await transportSecurity.run(makeContext({ device: device(), facts }));
    expect(out.verdict).toBe("fail");
    expect(out.findings).toEqual([expect.objectContaining({ severity: "medium", title: `plaintext MQTT on ${HOST}:1883 is still open beside MQTT over TLS (8883)` })]);
    expect(out.summary).toContain("certificate CN=plug.local (self-signed)");
  });

  it("fails high on a device that speaks MQTT only in plaintext", async () => {
    const out = await transportSecurity.run(makeContext({ device: device({ mqtt: { url: `mqtt://${HOST}:1883` } }), facts: { "tcp.services": [] } }));
    expect(out.verdict).toBe("fail");
    expect(out.findings![0]!.severity).toBe("high");
  });

  it("passes on a TLS-only broker elsewhere, with the certificate from its own handshake", async () => {
    const tls = await selfSignedCertificate("broker.test", [HOST]);
    const b = await broker({ tls });
    const out = await transportSecurity.run(makeContext({ device: device({ network: { address: "127.0.0.2" }, mqtt: { url: `mqtts://${HOST}:${b.port}` } }), facts: { "tcp.services": [] } }));
    expect(out.verdict).toBe("pass");
    expect(out.summary).toContain("certificate CN=broker.test (self-signed)");
  });
});
