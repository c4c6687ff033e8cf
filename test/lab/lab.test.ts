// The integration lab is what it claims to be, checked against its real daemons over the lab
// network: each port of the vulnerable plug answers and takes its defaults, unit 2 shares the
// plug's SSH host key and TLS certificate, the thermostat has exactly its declared ports, the
// Wi-Fi plug is slow and lossy, and up/down are idempotent and leave nothing behind.
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type SecureVersion } from "node:tls";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDescriptor } from "../../harness/schema/load.js";
import type { Descriptor } from "../../harness/schema/types.js";
import { telnetLogin } from "../../harness/transports/telnet.js";
import { makeContext } from "../helpers/context.js";
import {
  hardPassword,
  LAB,
  labDown,
  labProcesses,
  labRunning,
  labUp,
  processAlive,
  requireLab,
  wifiForwarderStats,
  wifiLink,
} from "./lab.js";

const run = promisify(execFile);
const lab = requireLab();

// ---------------------------------------------------------------------------------------------
// Small clients, built by hand so the test needs nothing but Node

/** Milliseconds to a completed TCP handshake; rejects on refusal or timeout. */
function tcpConnect(host: string, port: number, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`${host}:${port}: no answer in ${timeoutMs} ms`)));
    socket.once("connect", () => {
      resolve(performance.now() - started);
      socket.destroy();
    });
    socket.once("error", reject);
  });
}

/** The open ports among `ports` (a connect scan; refused and silent ports are closed). */
async function openTcpPorts(host: string, ports: number[], concurrency = 256): Promise<number[]> {
  const open: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < ports.length) {
      const port = ports[next++]!;
      if (await tcpConnect(host, port, 1000).then(() => true, () => false)) open.push(port);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return open.sort((a, b) => a - b);
}

/** One datagram out, the first answer back, or undefined after `timeoutMs`. */
function udpRequest(host: string, port: number, payload: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const done = (answer: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on("message", (message) => done(message));
    socket.on("error", () => done(undefined));
    socket.send(payload, port, host);
  });
}

/** CoAP (RFC 7252) confirmable GET with Uri-Path options. */
function coapGet(messageId: number, ...path: string[]): Buffer {
  const options: Buffer[] = [];
  let previous = 0;
  for (const segment of path) {
    const value = Buffer.from(segment);
    if (value.length > 12) throw new Error("segment too long for this tiny encoder");
    options.push(Buffer.from([((11 - previous) << 4) | value.length]), value); // 11 = Uri-Path
    previous = 11;
  }
  return Buffer.concat([Buffer.from([0x40, 0x01, messageId >> 8, messageId & 0xff]), ...options]);
}

// BER, just enough for an SNMP v2c GetRequest
function tlv(tag: number, body: Buffer): Buffer {
  if (body.length > 255) throw new Error("too long for this tiny encoder");
  const length = body.length < 128 ? [body.length] : [0x81, body.length];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}
const berInt = (n: number) => tlv(0x02, Buffer.from([(n >>> 24) & 0x7f, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]));
function berOid(oid: string): Buffer {
  const [a = 0, b = 0, ...rest] = oid.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}
function snmpGet(community: string, oid: string, requestId: number): Buffer {
  const varbind = tlv(0x30, Buffer.concat([berOid(oid), Buffer.from([0x05, 0x00])]));
  const pdu = tlv(0xa0, Buffer.concat([berInt(requestId), berInt(0), berInt(0), tlv(0x30, varbind)]));
  return tlv(0x30, Buffer.concat([berInt(1), tlv(0x04, Buffer.from(community)), pdu]));
}
const SYS_DESCR = "1.3.6.1.2.1.1.1.0";

/** Bytes from a socket until `done(all)` holds; rejects on close or timeout first. */
function readUntil(socket: Socket, done: (all: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let all = Buffer.alloc(0);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onError);
      if (error) reject(error);
      else resolve(all);
    };
    const onData = (chunk: Buffer) => {
      all = Buffer.concat([all, chunk]);
      if (done(all)) finish();
    };
    const onClose = () => finish(Object.assign(new Error(`closed after ${JSON.stringify(all.toString("latin1"))}`), { code: "CLOSED" }));
    const onError = (e: Error) => finish(e);
    const timer = setTimeout(() => finish(new Error(`timeout after ${JSON.stringify(all.toString("latin1"))}`)), timeoutMs);
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.once("error", onError);
  });
}

/** MQTT 3.1.1 CONNECT; resolves with the CONNACK return code (0 accepted, 5 not authorised). */
async function mqttConnect(opts: { host: string; port: number; tls?: boolean; username?: string; password?: string }): Promise<number> {
  const str = (s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const flags = 0x02 | (opts.username !== undefined ? 0x80 : 0) | (opts.password !== undefined ? 0x40 : 0);
  const body = Buffer.concat([
    str("MQTT"), Buffer.from([4, flags, 0, 30]), str(`iotcert-lab-${process.pid}`),
    ...(opts.username !== undefined ? [str(opts.username)] : []),
    ...(opts.password !== undefined ? [str(opts.password)] : []),
  ]);
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = opts.tls
      ? tlsConnect({ host: opts.host, port: opts.port, rejectUnauthorized: false }, () => resolve(s))
      : connect({ host: opts.host, port: opts.port }, () => resolve(s));
    s.once("error", reject);
  });
  try {
    socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    const connack = await readUntil(socket, (b) => b.length >= 4);
    expect(connack[0]).toBe(0x20);
    return connack[3]!;
  } finally {
    socket.destroy();
  }
}

/** Status code of an HTTP GET, with Basic credentials when given. */
function httpStatus(host: string, path: string, auth?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port: 80, path, auth, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** A TLS handshake: the certificate's SHA-256 fingerprint and the protocol, or the error code. */
function tlsHandshake(host: string, port: number, version?: SecureVersion): Promise<{ fingerprint: string; protocol: string } | { error: string }> {
  const options: ConnectionOptions = { host, port, rejectUnauthorized: false };
  // TLS 1.0/1.1 need OpenSSL's security level 0 on our side, or we would refuse before the device could
  if (version) Object.assign(options, { minVersion: version, maxVersion: version, ciphers: "DEFAULT:@SECLEVEL=0" });
  return new Promise((resolve) => {
    const socket = tlsConnect(options, () => {
      resolve({ fingerprint: socket.getPeerCertificate().fingerprint256, protocol: socket.getProtocol() ?? "" });
      socket.destroy();
    });
    socket.setTimeout(5000, () => socket.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    socket.once("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

/** Listening sockets in a device's namespace, as the kernel sees them. */
async function listening(ns: string): Promise<{ tcp: number[]; udp: number[] }> {
  const { stdout } = await run("ss", ["-N", ns, "-Hlntu"]);
  const ports = { tcp: [] as number[], udp: [] as number[] };
  for (const line of stdout.trim().split("\n").filter(Boolean)) {
    const [proto, , , , local = ""] = line.split(/\s+/);
    (proto === "udp" ? ports.udp : ports.tcp).push(Number(local.slice(local.lastIndexOf(":") + 1)));
  }
  ports.tcp.sort((a, b) => a - b);
  ports.udp.sort((a, b) => a - b);
  return ports;
}

/** "type base64" of each host key a server offers, from the network. */
async function scanHostKeys(host: string): Promise<string[]> {
  const { stdout } = await run("ssh-keyscan", ["-T", "5", "-t", "ed25519,rsa", host]);
  return stdout.trim().split("\n").filter((l) => !l.startsWith("#")).map((l) => l.split(" ").slice(1, 3).join(" ")).sort();
}

/** "type base64" of a dropbear host key file. */
async function fileHostKey(path: string): Promise<string> {
  const { stdout } = await run("dropbearkey", ["-y", "-f", path]);
  const line = stdout.split("\n").find((l) => l.startsWith("ssh-"));
  return line!.split(" ").slice(0, 2).join(" ");
}

/** The first line a TCP service sends (an SSH identification string, say). */
async function firstLine(host: string, port: number): Promise<string> {
  const socket = connect({ host, port });
  try {
    const data = await readUntil(socket, (b) => b.includes(0x0a));
    return data.toString("latin1").split(/\r?\n/)[0]!;
  } finally {
    socket.destroy();
  }
}

/** An FTP reply: every line up to the one that starts with the code and a space. */
const ftpReplyDone = (b: Buffer) => /(?:^|\r\n)\d{3} [^\r\n]*\r\n$/.test(b.toString("latin1"));

async function ftpSession(host: string): Promise<{ socket: Socket; banner: string; send(line: string): Promise<string> }> {
  const socket = connect({ host, port: 21 });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const banner = (await readUntil(socket, ftpReplyDone)).toString("latin1");
  return {
    socket,
    banner,
    async send(line) {
      socket.write(`${line}\r\n`);
      return (await readUntil(socket, ftpReplyDone, 15_000)).toString("latin1");
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---------------------------------------------------------------------------------------------

describe.skipIf(lab.skip)(`integration lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  const descriptors = {} as Record<"vuln" | "vuln2" | "hard" | "wifi", Descriptor>;

  beforeAll(async () => {
    // A no-op when the global setup has brought the lab up; makes this file work alone too
    await labUp();
    for (const name of ["vuln", "vuln2", "hard", "wifi"] as const) descriptors[name] = await loadDescriptor(LAB[name].descriptor);
  }, 200_000);

  describe("descriptors", () => {
    it("validate and name the lab's addresses, siblings and the thermostat's per-unit password", () => {
      for (const name of ["vuln", "vuln2", "hard", "wifi"] as const) {
        expect(descriptors[name].network?.address).toBe(LAB[name].address);
        expect(descriptors[name].network?.tcpPorts).toBe("all");
      }
      expect(descriptors.vuln.siblings).toEqual(["vuln2.yaml"]);
      expect(descriptors.vuln2.siblings).toEqual(["vuln.yaml"]);
      expect(descriptors.hard.declared?.credentials).toEqual([{ username: "admin", password: hardPassword(), unique: true }]);
      expect(hardPassword()).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    });

    it("the thermostat declares exactly what runs; the plug declares some of it", async () => {
      const hard = await listening(LAB.hard.ns);
      expect(hard).toEqual({ tcp: [...LAB.hard.tcp], udp: [...LAB.hard.udp] });
      expect([...descriptors.hard.declared!.openPorts!].sort()).toEqual([...LAB.hard.tcp.map((p) => `${p}/tcp`), ...LAB.hard.udp.map((p) => `${p}/udp`)].sort());

      const vuln = await listening(LAB.vuln.ns);
      expect(vuln).toEqual({ tcp: [...LAB.vuln.tcp], udp: [...LAB.vuln.udp] });
      const running = [...vuln.tcp.map((p) => `${p}/tcp`), ...vuln.udp.map((p) => `${p}/udp`)];
      const declared = descriptors.vuln.declared!.openPorts!;
      expect(running).toEqual(expect.arrayContaining(declared));
      expect(running.filter((p) => !declared.includes(p)).sort()).toEqual(["161/udp", "21/tcp", "22/tcp", "23/tcp", "5683/tcp", "8883/tcp"]);

      expect(await listening(LAB.vuln2.ns)).toEqual({ tcp: [...LAB.vuln2.tcp], udp: [] });
      expect(await listening(LAB.wifi.ns)).toEqual({ tcp: [...LAB.wifi.tcp], udp: [...LAB.wifi.udp] });
    });
  });

  describe("vulnerable plug, unit 1", () => {
    const host = LAB.vuln.address;

    it("answers on every TCP port it runs", async () => {
      for (const port of [21, 22, 23, 80, 443, 1883, 5683, 8883]) {
        await expect(tcpConnect(host, port), `${host}:${port}`).resolves.toBeGreaterThanOrEqual(0);
      }
    });

    it("telnet: busybox login takes root/xc3511 and refuses a wrong password", async () => {
      const ctx = makeContext({ device: descriptors.vuln });
      const timing = { connectTimeoutMs: 2000, replyTimeoutMs: 6000 };
      const good = await telnetLogin(ctx, host, 23, { username: "root", password: "xc3511" }, timing);
      expect(good.result).toBe("success");
      expect(good.transcript).toContain("smartplug login:");
      const started = performance.now();
      const bad = await telnetLogin(ctx, host, 23, { username: "root", password: "root" }, timing);
      expect(bad.result).toBe("rejected");
      // busybox login pauses about 3 s after a wrong password
      expect(performance.now() - started).toBeGreaterThan(2500);
    });

    it("SSH: dropbear with the model's host key", async () => {
      expect(await firstLine(host, 22)).toMatch(/^SSH-2\.0-dropbear/);
      expect(await scanHostKeys(host)).toContain(await fileHostKey(`${LAB.state}/keys/smartplug-p1/ssh_host_ed25519`));
    });

    it("HTTP: a page at /, /admin/ behind Basic auth admin/admin", async () => {
      expect(await httpStatus(host, "/")).toBe(200);
      expect(await httpStatus(host, "/admin/")).toBe(401);
      expect(await httpStatus(host, "/admin/", "admin:wrong")).toBe(401);
      expect(await httpStatus(host, "/admin/", "admin:admin")).toBe(200);
    });

    it("HTTPS: a self-signed certificate, and TLS 1.0 still accepted", async () => {
      const modern = await tlsHandshake(host, 443);
      expect(modern).toHaveProperty("fingerprint");
      expect(await tlsHandshake(host, 443, "TLSv1")).toMatchObject({ protocol: "TLSv1" });
    });

    it("FTP: anonymous and admin/admin get in; failed logins are slowed and cut off after three", async () => {
      const anon = await ftpSession(host);
      try {
        expect(anon.banner).toMatch(/^220 /);
        expect(await anon.send("USER anonymous")).toMatch(/^(230|331) /);
        expect(await anon.send("PASS x@example.com")).toMatch(/^230 /);
      } finally {
        anon.socket.destroy();
      }

      const admin = await ftpSession(host);
      try {
        expect(await admin.send("USER admin")).toMatch(/^331 /);
        expect(await admin.send("PASS admin")).toMatch(/^230 /);
      } finally {
        admin.socket.destroy();
      }

      // vsftpd's delay_failed_login / max_login_fails: the rate-limiting daemon of the lab
      const guess = await ftpSession(host);
      try {
        for (let i = 1; i <= LAB.ftpMaxLoginFails; i++) {
          expect(await guess.send("USER admin")).toMatch(/^331 /);
          const started = performance.now();
          expect(await guess.send(`PASS wrong${i}`)).toMatch(/^530 /);
          expect(performance.now() - started).toBeGreaterThan(LAB.ftpFailedLoginDelayS * 1000 - 200);
        }
        // After the third failure the server has hung up
        await expect(guess.send("USER admin")).rejects.toMatchObject({ code: expect.stringMatching(/CLOSED|ECONNRESET|EPIPE/) });
      } finally {
        guess.socket.destroy();
      }
    }, 60_000);

    it("MQTT: anonymous on 1883; admin/admin over TLS on 8883", async () => {
      expect(await mqttConnect({ host, port: 1883 })).toBe(0);
      expect(await mqttConnect({ host, port: 8883, tls: true })).toBe(5);
      expect(await mqttConnect({ host, port: 8883, tls: true, username: "admin", password: "wrong" })).toBe(5);
      expect(await mqttConnect({ host, port: 8883, tls: true, username: "admin", password: "admin" })).toBe(0);
    });

    it("CoAP: GET /.well-known/core lists libcoap's resources", async () => {
      const answer = await udpRequest(host, 5683, coapGet(0x1234, ".well-known", "core"));
      expect(answer, "no CoAP answer").toBeDefined();
      expect(answer![1]).toBe(0x45); // 2.05 Content
      expect(answer!.readUInt16BE(2)).toBe(0x1234);
      expect(answer!.toString("latin1")).toContain("</time>");
    });

    it("SNMP: public and private read sysDescr; a wrong community gets silence", async () => {
      for (const [community, id] of [["public", 1001], ["private", 1002]] as const) {
        const answer = await udpRequest(host, 161, snmpGet(community, SYS_DESCR, id));
        expect(answer, `no answer for ${community}`).toBeDefined();
        expect(answer!.includes(Buffer.from([0xa2]))).toBe(true); // GetResponse
        expect(answer!.toString("latin1")).toContain("Acme SmartPlug P1");
      }
      expect(await udpRequest(host, 161, snmpGet("wrong", SYS_DESCR, 1003), 700)).toBeUndefined();
    });
  });

  describe("a second unit of the same model", () => {
    it("offers the same SSH host keys and TLS certificate as unit 1", async () => {
      const keys1 = await scanHostKeys(LAB.vuln.address);
      const keys2 = await scanHostKeys(LAB.vuln2.address);
      expect(keys1).toHaveLength(2);
      expect(keys2).toEqual(keys1);

      const cert1 = await tlsHandshake(LAB.vuln.address, 443);
      const cert2 = await tlsHandshake(LAB.vuln2.address, 443);
      const mqtts1 = await tlsHandshake(LAB.vuln.address, 8883);
      expect(cert1).toHaveProperty("fingerprint");
      expect(cert2).toEqual(cert1);
      expect(mqtts1).toMatchObject({ fingerprint: (cert1 as { fingerprint: string }).fingerprint });
    });

    it("has the same defaults (telnet admin/admin, web admin/admin)", async () => {
      const ctx = makeContext({ device: descriptors.vuln2 });
      const login = await telnetLogin(ctx, LAB.vuln2.address, 23, { username: "admin", password: "admin" }, { connectTimeoutMs: 2000, replyTimeoutMs: 6000 });
      expect(login.result).toBe("success");
      expect(await httpStatus(LAB.vuln2.address, "/admin/", "admin:admin")).toBe(200);
    });
  });

  describe("hardened thermostat", () => {
    const host = LAB.hard.address;

    it("has only its declared TCP ports open (full connect scan) and no UDP services", async () => {
      const all = Array.from({ length: 65535 }, (_, i) => i + 1);
      expect(await openTcpPorts(host, all)).toEqual([...LAB.hard.tcp]);
      // A closed UDP port answers with ICMP port unreachable, which Node reports as silence
      for (const port of [161, 5683]) expect(await udpRequest(host, port, coapGet(1, "x"), 500)).toBeUndefined();
    }, 120_000);

    it("has host keys and a certificate of its own, TLS 1.2 and up only", async () => {
      const keys = await scanHostKeys(host);
      expect(keys).toHaveLength(2);
      for (const key of await scanHostKeys(LAB.vuln.address)) expect(keys).not.toContain(key);
      const cert = await tlsHandshake(host, 443);
      expect(cert).toHaveProperty("fingerprint");
      expect(cert).not.toEqual(await tlsHandshake(LAB.vuln.address, 443));
      expect(await tlsHandshake(host, 443, "TLSv1.1")).toHaveProperty("error");
      expect(await tlsHandshake(host, 443, "TLSv1.2")).toMatchObject({ protocol: "TLSv1.2" });
    });

    it("takes none of the plug's defaults; the per-unit password works on MQTT and the web UI", async () => {
      expect(await mqttConnect({ host, port: 8883, tls: true })).toBe(5);
      expect(await mqttConnect({ host, port: 8883, tls: true, username: "admin", password: "admin" })).toBe(5);
      expect(await mqttConnect({ host, port: 8883, tls: true, username: "admin", password: hardPassword() })).toBe(0);
      expect(await firstLine(host, 22)).toMatch(/^SSH-2\.0-dropbear/);
    });
  });

  describe("Wi-Fi plug", () => {
    const host = LAB.wifi.address;

    it("answers through a link of about 20 ms each way (TCP connect median 15..60 ms)", async () => {
      const times: number[] = [];
      for (let i = 0; i < 40; i++) {
        // A lost SYN or SYN-ACK costs a 1 s retransmission: that try is slow, not failed
        times.push(await tcpConnect(host, 80, 5000));
      }
      expect(median(times)).toBeGreaterThanOrEqual(15);
      expect(median(times)).toBeLessThanOrEqual(60);
      // The wired plug, for contrast, answers in well under a millisecond or two
      expect(await tcpConnect(LAB.vuln.address, 80)).toBeLessThan(15);
    }, 60_000);

    it("loses a few of 200 CoAP requests, and no more than a few", async () => {
      let answered = 0;
      const rtts: number[] = [];
      for (let batch = 0; batch < 20; batch++) {
        const results = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
          const started = performance.now();
          const answer = await udpRequest(host, 5683, coapGet(0x2000 + batch * 10 + i, ".well-known", "core"), 1000);
          if (answer) rtts.push(performance.now() - started);
          return answer !== undefined && answer[1] === 0x45;
        }));
        answered += results.filter(Boolean).length;
      }
      // 2 % each way loses ~4 % of exchanges: ~8 of 200. Tolerate up to 10 %.
      expect(answered).toBeGreaterThanOrEqual(180);
      expect(median(rtts)).toBeGreaterThanOrEqual(15);
      if (wifiLink() === "forwarder") {
        // The forwarder's own counts, over everything this run sent: it does drop
        await new Promise((r) => setTimeout(r, 1200));
        const stats = wifiForwarderStats();
        expect(stats).toBeDefined();
        expect(stats!["to-device"].lost + stats!["to-harness"].lost).toBeGreaterThan(0);
        expect(stats!["to-device"].forwarded).toBeGreaterThan(200);
      }
    }, 60_000);

    it("runs the plug's daemons and defaults, with keys of its own", async () => {
      const ctx = makeContext({ device: descriptors.wifi });
      const login = await telnetLogin(ctx, host, 23, { username: "root", password: "xc3511" }, { connectTimeoutMs: 5000, replyTimeoutMs: 8000 });
      expect(login.result).toBe("success");
      const answer = await udpRequest(host, 161, snmpGet("public", SYS_DESCR, 2001), 2000)
        ?? await udpRequest(host, 161, snmpGet("public", SYS_DESCR, 2002), 2000);
      expect(answer?.toString("latin1")).toContain("Acme SmartPlug P1");
      const plug = await scanHostKeys(LAB.vuln.address);
      for (const key of await scanHostKeys(host)) expect(plug).not.toContain(key);
    }, 60_000);
  });

  // Last: it takes the lab down and brings it back
  describe("up and down", () => {
    it("up on an up lab restarts nothing; down twice leaves no process, namespace or link; up again works", async () => {
      const before = labProcesses();
      expect(before.length).toBeGreaterThanOrEqual(20);
      expect(before.every(processAlive)).toBe(true);

      expect(await labUp()).toMatch(/already up/);
      expect(labProcesses()).toEqual(before);

      await labDown();
      expect(before.filter(processAlive)).toEqual([]);
      expect(labRunning()).toBe(false);
      expect((await run("ip", ["netns", "list"])).stdout).not.toMatch(/iotc-/);
      expect((await run("ip", ["-o", "link", "show"])).stdout).not.toMatch(/iotc-/);
      expect(existsSync("/etc/netns/iotc-vuln")).toBe(false);
      // Down, the lab's range goes nowhere: not out by the machine's default route.
      expect((await run("ip", ["route", "show", "198.18.0.0/15"])).stdout).toMatch(/^blackhole 198\.18\.0\.0\/15/);
      expect((await run("ip", ["route", "get", LAB.vuln.address]).catch((err: { stderr: string }) => ({ stdout: err.stderr }))).stdout).not.toMatch(/ dev /);

      expect(await labDown()).toMatch(/already down/);

      await labUp();
      expect(labRunning()).toBe(true);
      const after = labProcesses();
      expect(after.map((p) => p.name).sort()).toEqual(before.map((p) => p.name).sort());
      await expect(tcpConnect(LAB.vuln.address, 22)).resolves.toBeGreaterThanOrEqual(0);
    }, 200_000);
  });
});
