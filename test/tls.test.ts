import * as x509 from "@peculiar/x509";
import { createHash, generateKeyPairSync, webcrypto, X509Certificate as OpenSslCertificate } from "node:crypto";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, getCiphers, type TlsOptions } from "node:tls";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { certificateProblems, namesHost, parseCertificate } from "../harness/checks/crypto/certificate.js";
import { tls } from "../harness/checks/crypto/tls.js";
import type { Service } from "../harness/core/facts.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { clientHello, sslv2Probe, sslv3Probe, tlsHandshake } from "../harness/transports/tls-probe.js";
import { makeContext } from "./helpers/context.js";

const local: Descriptor = { id: "t", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" } };
const DAY = 86_400_000;
const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

// ---- certificates made the way a device's would be ----

interface Issued {
  keyPem: string;
  certPem: string;
  der: Buffer;
}

const pkcs8Pem = (der: ArrayBuffer) =>
  `-----BEGIN PRIVATE KEY-----\n${Buffer.from(der).toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;

async function keyPair(kind: "ec" | "rsa1024"): Promise<{ keys: CryptoKeyPair; keyPem: string; algorithm: typeof EC | typeof RSA }> {
  if (kind === "ec") {
    const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
    return { keys, keyPem: pkcs8Pem(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)), algorithm: EC };
  }
  // Web Crypto will not generate a 1024-bit key for us to misuse; OpenSSL will.
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const keys = {
    privateKey: await webcrypto.subtle.importKey("pkcs8", privateKey.export({ type: "pkcs8", format: "der" }), RSA, true, ["sign"]),
    publicKey: await webcrypto.subtle.importKey("spki", publicKey.export({ type: "spki", format: "der" }), RSA, true, ["verify"]),
  };
  return { keys, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string, algorithm: RSA };
}

let ca: { keys: CryptoKeyPair; cert: x509.X509Certificate };
beforeAll(async () => {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01", name: "CN=Test Device CA", keys, signingAlgorithm: EC,
    notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() + 365 * DAY),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  ca = { keys, cert };
});

async function issue(opts: {
  key?: "ec" | "rsa1024";
  sans?: x509.JsonGeneralNames;
  notBefore?: Date;
  notAfter?: Date;
  selfSigned?: boolean;
  hash?: "SHA-256" | "SHA-1";
} = {}): Promise<Issued> {
  const { keys, keyPem, algorithm } = await keyPair(opts.key ?? "ec");
  const validity = { notBefore: opts.notBefore ?? new Date(Date.now() - DAY), notAfter: opts.notAfter ?? new Date(Date.now() + 30 * DAY) };
  const extensions = [new x509.SubjectAlternativeNameExtension(opts.sans ?? [{ type: "ip", value: "127.0.0.1" }])];
  const cert = opts.selfSigned
    ? await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: "02", name: "CN=device", keys, signingAlgorithm: algorithm, extensions, ...validity })
    : await x509.X509CertificateGenerator.create({
      serialNumber: "03", subject: "CN=device", issuer: ca.cert.subject, publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey, signingAlgorithm: { ...EC, hash: opts.hash ?? "SHA-256" }, extensions, ...validity,
    });
  return { keyPem, certPem: cert.toString("pem"), der: Buffer.from(cert.rawData) };
}

// ---- devices on loopback ----

async function listen(server: NetServer): Promise<number> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return (server.address() as { port: number }).port;
}

/** A TLS device presenting `cert` with the CA behind it; server errors (our probes) are expected. */
async function tlsDevice(cert: Issued, options: TlsOptions = {}): Promise<number> {
  const server = createTlsServer({ key: cert.keyPem, cert: `${cert.certPem}\n${ca.cert.toString("pem")}`, ...options });
  server.on("tlsClientError", () => {});
  return listen(server);
}

/** A raw device: answers the first bytes it gets with `reply(bytes)`, or stays silent for undefined. */
const rawDevice = (reply: (hello: Buffer) => Buffer | undefined) => listen(createNetServer((s) => {
  s.on("error", () => {});
  s.once("data", (hello) => {
    const answer = reply(hello);
    if (answer) s.end(answer);
  });
}));

const runCheck = async (port: number, service: Partial<Service> = {}, pace = Pace.named("fast")) => {
  const ctx = makeContext({ device: local, checkId: "crypto.tls", pace, facts: { "tcp.services": [{ port, name: "https", tls: true, ...service }] } });
  const outcome = await tls.run(ctx);
  return { outcome, certificates: ctx.facts.get("tls.certificates"), titles: (outcome.findings ?? []).map((f) => `${f.severity}: ${f.title}`) };
};

const probeCtx = () => makeContext({ device: local, checkId: "crypto.tls" });

describe("crypto.tls against real TLS servers", () => {
  it("passes a modern service (TLS 1.2–1.3, CA-issued P-256 certificate naming 127.0.0.1) and publishes its certificate", async () => {
    const cert = await issue();
    const server = createHttpsServer({ key: cert.keyPem, cert: `${cert.certPem}\n${ca.cert.toString("pem")}`, minVersion: "TLSv1.2" }, (_req, res) => res.end("ok"));
    server.on("tlsClientError", () => {});
    const port = await listen(server);
    const { outcome, certificates, titles } = await runCheck(port);
    expect(titles).toEqual([]);
    expect(outcome.verdict).toBe("pass");
    const probes = (outcome.evidence as { services: { probes: Record<string, string> }[] }).services[0]!.probes;
    expect(probes["TLS 1.3"]).toMatch(/^accepted/);
    expect(probes["TLS 1.2"]).toMatch(/^accepted/);
    for (const refused of ["TLS 1.1", "TLS 1.0", "SSLv3", "SSLv2", "NULL suites", "aNULL suites", "RC4 suites", "3DES suites"]) {
      expect(probes[refused], refused).toMatch(/^refused/);
    }
    expect(certificates).toHaveLength(1);
    const fact = certificates![0]!;
    const spki = new OpenSslCertificate(cert.der).publicKey.export({ type: "spki", format: "der" });
    expect(fact).toEqual({
      port, service: "https", subject: "CN=device", issuer: "CN=Test Device CA", selfSigned: false,
      notBefore: expect.any(String), notAfter: expect.any(String), keyType: "ec", keyBits: 256,
      subjectAltNames: ["IP:127.0.0.1"],
      sha256: createHash("sha256").update(cert.der).digest("hex"),
      publicKeySha256: createHash("sha256").update(spki).digest("hex"),
      der: cert.der.toString("base64"),
    });
    expect(new Date(fact.notAfter).getTime()).toBeGreaterThan(Date.now());
  });

  it("fails a service that still accepts TLS 1.0 and 1.1", async () => {
    const port = await tlsDevice(await issue(), { minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" });
    const { outcome, titles } = await runCheck(port);
    expect(outcome.verdict).toBe("fail");
    expect(titles).toEqual([`medium: TLS 1.0 accepted on port ${port}`, `medium: TLS 1.1 accepted on port ${port}`]);
  });

  it("fails an expired certificate", async () => {
    const port = await tlsDevice(await issue({ notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - DAY) }));
    const { outcome, titles, certificates } = await runCheck(port);
    expect(outcome.verdict).toBe("fail");
    expect(titles).toEqual([`high: certificate expired on port ${port}`]);
    expect(certificates).toHaveLength(1);
  });

  it("fails a 1024-bit RSA key", async () => {
    const port = await tlsDevice(await issue({ key: "rsa1024" }), { ciphers: "DEFAULT@SECLEVEL=0" });
    const { outcome, titles, certificates } = await runCheck(port);
    expect(outcome.verdict).toBe("fail");
    expect(titles).toEqual([`high: weak RSA key (1024 bits) on port ${port}`]);
    expect(certificates![0]).toMatchObject({ keyType: "rsa", keyBits: 1024 });
  });

  it("reports a certificate that names another host as low, which alone does not fail", async () => {
    const port = await tlsDevice(await issue({ sans: [{ type: "dns", value: "device.example" }] }));
    const { outcome, titles } = await runCheck(port);
    expect(titles).toEqual([`low: certificate does not name 127.0.0.1 on port ${port}`]);
    expect(outcome.verdict).toBe("pass");
  });

  it("notes a self-signed certificate as low, passing, with the note that a lab can judge it", async () => {
    const port = await tlsDevice(await issue({ selfSigned: true }));
    const { outcome, certificates } = await runCheck(port);
    expect(outcome.verdict).toBe("pass");
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "low", title: `self-signed certificate on port ${port}`, evidence: expect.objectContaining({ note: expect.stringMatching(/IoT/) }),
    })]);
    expect(certificates![0]!.selfSigned).toBe(true);
  });

  // This OpenSSL (3.x) has no RC4, DES or 3DES suites at all: a server cannot be made to offer them,
  // so NULL and anonymous suites, which it still has at security level 0, stand in for the families.
  it("fails a service that accepts NULL and anonymous suites, found by hand-built ClientHellos", async () => {
    const port = await tlsDevice(await issue(), {
      maxVersion: "TLSv1.2",
      ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-NULL-SHA:AECDH-AES128-SHA:@SECLEVEL=0",
    });
    const { outcome, titles } = await runCheck(port);
    expect(outcome.verdict).toBe("fail");
    expect(titles).toEqual([
      `high: NULL encryption (traffic in cleartext) accepted on port ${port}`,
      `high: anonymous key exchange (no server authentication) accepted on port ${port}`,
    ]);
    const nullFinding = outcome.findings!.find((f) => f.title.startsWith("NULL"));
    expect(nullFinding!.evidence).toEqual({ suite: "TLS_ECDHE_ECDSA_WITH_NULL_SHA", version: "0x303" });
  });

  it.skipIf(!getCiphers().includes("des-cbc3-sha"))("fails a service that accepts 3DES (when this OpenSSL still has it)", async () => {
    const port = await tlsDevice(await issue(), { maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-DES-CBC3-SHA:@SECLEVEL=0" });
    const { titles } = await runCheck(port);
    expect(titles).toContain(`medium: triple DES (64-bit blocks, Sweet32) accepted on port ${port}`);
  });

  it("is inconclusive, not failing, on a port marked TLS that answers in plain text", async () => {
    const port = await rawDevice(() => Buffer.from("HTTP/1.0 400 Bad Request\r\n\r\n"));
    const { outcome, certificates } = await runCheck(port);
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/completed no TLS or SSL handshake/);
    expect(outcome.findings).toEqual([]);
    expect(certificates).toEqual([]);
  });

  it("stops after the first probe on a TLS port that never answers", async () => {
    const port = await rawDevice(() => undefined);
    const started = performance.now();
    const { outcome } = await runCheck(port, {}, Pace.named("fast", { connectTimeoutMs: 300 }));
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/did not answer a TLS 1.2 ClientHello/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("sends the device's host name as SNI and matches it against DNS names", async () => {
    const names: unknown[] = [];
    const port = await tlsDevice(await issue({ sans: [{ type: "dns", value: "localhost" }] }), {
      SNICallback: (name, done) => {
        names.push(name);
        done(null);
      },
    });
    const ctx = makeContext({
      device: { ...local, network: { address: "localhost" } }, checkId: "crypto.tls",
      facts: { "tcp.services": [{ port, name: "tls", tls: true }] },
    });
    const outcome = await tls.run(ctx);
    expect(outcome.findings).toEqual([]);
    expect(outcome.verdict).toBe("pass");
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set(["localhost"]));
  });

  it("is inconclusive on a port that resets every hello", async () => {
    const port = await listen(createNetServer((s) => {
      s.on("error", () => {});
      s.once("data", () => s.resetAndDestroy());
    }));
    const { outcome } = await runCheck(port);
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/completed no TLS or SSL handshake/);
    expect(JSON.stringify(outcome.evidence)).toMatch(/refused \(closed\)/);
  });

  it("stops with the run when it is aborted mid-handshake", async () => {
    const port = await rawDevice(() => undefined);
    const ctx = makeContext({ device: local, checkId: "crypto.tls", facts: { "tcp.services": [{ port, name: "tls", tls: true }] } });
    setTimeout(() => ctx.abort(), 100);
    await expect(tls.run(ctx)).rejects.toMatchObject({ kind: "aborted" });
  });

  it("sends no hello to a fragile port unless the run allows it", async (t) => {
    const server = createNetServer((s) => s.on("error", () => {}));
    const taken = await new Promise<boolean>((r) => {
      server.once("error", () => r(true));
      server.listen(9999, "127.0.0.1", () => r(false));
    });
    if (taken) return t.skip();
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const received: Buffer[] = [];
    server.on("connection", (s) => s.on("data", (d) => received.push(d)));
    const outcome = await tls.run(makeContext({ device: local, facts: { "tcp.services": [{ port: 9999, name: "tls", tls: true }] } }));
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/did not answer a TLS 1.2 ClientHello \(port 9999 is fragile/);
    expect(received).toEqual([]);
  });

  it("is not applicable without a TLS service, and inconclusive without the service list", async () => {
    const none = makeContext({ device: local, facts: { "tcp.services": [{ port: 23, name: "telnet", tls: false }] } });
    expect(await tls.run(none)).toEqual({ verdict: "not-applicable", summary: "no TLS service found" });
    expect(none.facts.get("tls.certificates")).toEqual([]);
    expect((await tls.run(makeContext({ device: local }))).verdict).toBe("inconclusive");
  });

  it("plans one line per kind of handshake", () => {
    const lines = tls.plan(local, Pace.named("normal"));
    expect(lines.map((l) => l.note)).toEqual(expect.arrayContaining(["TLS 1.0 handshake", "SSLv3 ClientHello, first answer read"]));
    expect(lines).toHaveLength(4 + 2 + 6);
  });
});

describe("TLS and SSL probes", () => {
  it("builds an SSLv3 ClientHello record (RFC 6101): handshake record, version 0x0300, no extensions", () => {
    const hello = clientHello({ version: 0x0300, cipherSuites: [0x000a, 0x002f] });
    expect(hello[0]).toBe(22);
    expect(hello.readUInt16BE(1)).toBe(0x0300);
    expect(hello.readUInt16BE(3)).toBe(hello.length - 5);
    expect(hello[5]).toBe(1);
    expect(hello.readUIntBE(6, 3)).toBe(hello.length - 9);
    expect(hello.readUInt16BE(9)).toBe(0x0300);
    expect(hello[9 + 2 + 32]).toBe(0);
    expect(hello.readUInt16BE(44)).toBe(4);
    expect([hello.readUInt16BE(46), hello.readUInt16BE(48)]).toEqual([0x000a, 0x002f]);
    expect([...hello.subarray(50)]).toEqual([1, 0]);
  });

  it("finds SSLv3 and SSLv2 refused by a modern server", async () => {
    const port = await tlsDevice(await issue());
    expect(await sslv3Probe(probeCtx(), "127.0.0.1", port, { timeoutMs: 2000 })).toMatchObject({ ok: false, reason: "rejected" });
    expect((await sslv2Probe(probeCtx(), "127.0.0.1", port, { timeoutMs: 2000 })).ok).toBe(false);
  });

  it("recognises an SSLv3 ServerHello and an SSLv2 SERVER-HELLO from a legacy device", async () => {
    // An SSLv3-only device with RC4-SHA and DES-CBC3-SHA: answers any TLS hello with SSLv3 and the
    // first of its suites offered, else a handshake_failure alert; answers SSLv2 with a SERVER-HELLO.
    const own = [0x0005, 0x000a];
    const serverHello = (suite: number) => Buffer.concat([
      Buffer.from([22, 3, 0, 0, 42, 2, 0, 0, 38, 3, 0]), Buffer.alloc(32, 7), Buffer.from([0, suite >> 8, suite & 0xff, 0]),
    ]);
    const body = Buffer.concat([Buffer.from([4, 0, 1, 0, 2, 0, 0, 0, 6, 0, 16, 1, 0, 0x80, 7, 0, 0xc0]), Buffer.alloc(16, 1)]);
    const sslv2Hello = Buffer.concat([Buffer.from([0x80 | (body.length >> 8), body.length & 0xff]), body]);
    const port = await rawDevice((hello) => {
      if (hello[0]! & 0x80) return sslv2Hello;
      const at = 5 + 4 + 2 + 32 + 1 + hello[43]!;
      const offered = Array.from({ length: hello.readUInt16BE(at) / 2 }, (_, i) => hello.readUInt16BE(at + 2 + 2 * i));
      const suite = own.find((s) => offered.includes(s));
      return suite ? serverHello(suite) : Buffer.from([21, 3, 0, 0, 2, 2, 40]);
    });
    expect(await sslv3Probe(probeCtx(), "127.0.0.1", port, { timeoutMs: 2000 })).toEqual({ ok: true, version: 0x0300, cipherSuite: 0x0005 });
    expect(await sslv2Probe(probeCtx(), "127.0.0.1", port, { timeoutMs: 2000 })).toEqual({ ok: true, cipherSpecs: 2 });
    const { outcome, titles, certificates } = await runCheck(port);
    expect(outcome.verdict).toBe("fail");
    expect(titles).toEqual([
      `high: SSLv2 accepted on port ${port}`,
      `high: SSLv3 accepted on port ${port}`,
      `high: no TLS 1.2 or 1.3 on port ${port}`,
      `high: RC4 stream cipher accepted on port ${port}`,
      `medium: triple DES (64-bit blocks, Sweet32) accepted on port ${port}`,
    ]);
    expect(certificates).toEqual([]);
  });

  it("hands back the certificate chain of a real handshake and refuses a version the server does not speak", async () => {
    const cert = await issue();
    const port = await tlsDevice(cert, { minVersion: "TLSv1.3" });
    const ok = await tlsHandshake(probeCtx(), "127.0.0.1", port, { minVersion: "TLSv1.3", maxVersion: "TLSv1.3", timeoutMs: 2000 });
    expect(ok).toMatchObject({ ok: true, protocol: "TLSv1.3" });
    expect(ok.ok && ok.chain.map((c) => c.equals(cert.der) || c.equals(Buffer.from(ca.cert.rawData)))).toEqual([true, true]);
    const no = await tlsHandshake(probeCtx(), "127.0.0.1", port, { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", timeoutMs: 2000 });
    expect(no).toMatchObject({ ok: false, reason: "rejected" });
  });

  it("refuses to contact an address the descriptor does not name", async () => {
    await expect(tlsHandshake(probeCtx(), "127.0.0.2", 443, { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", timeoutMs: 500 })).rejects.toMatchObject({ kind: "out-of-scope" });
  });
});

describe("certificate judgement", () => {
  it("flags a SHA-1 signature from a CA, but not on a self-signed certificate", async () => {
    const sha1 = parseCertificate((await issue({ hash: "SHA-1" })).der, 443, "https");
    expect(sha1.signatureHash).toBe("SHA-1");
    expect(certificateProblems(sha1, "127.0.0.1", new Date()).map((p) => p.what)).toEqual(["certificate signed with SHA-1"]);
    const self = parseCertificate((await issue({ selfSigned: true })).der, 443, "https");
    expect(certificateProblems(self, "127.0.0.1", new Date()).map((p) => p.what)).toEqual(["self-signed certificate"]);
  });

  it("tells a certificate not yet valid", async () => {
    const later = parseCertificate((await issue({ notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 9 * DAY) })).der, 443, "https");
    expect(certificateProblems(later, "127.0.0.1", new Date()).map((p) => p.severity + " " + p.what)).toEqual(["high certificate not yet valid"]);
  });

  it("matches host names and addresses against SANs only", () => {
    expect(namesHost(["DNS:*.acme.example"], "plug.acme.example")).toBe(true);
    expect(namesHost(["DNS:*.acme.example"], "a.plug.acme.example")).toBe(false);
    expect(namesHost(["DNS:*.acme.example"], "acme.example")).toBe(false);
    expect(namesHost(["DNS:Plug.Acme.Example."], "plug.acme.example")).toBe(true);
    expect(namesHost(["IP:2001:db8:0:0:0:0:0:1"], "2001:db8::1")).toBe(true);
    expect(namesHost(["DNS:127.0.0.1"], "127.0.0.1")).toBe(false);
  });

  it("throws on bytes that are not a certificate", () => {
    expect(() => parseCertificate(Buffer.from("not a certificate"), 443, "https")).toThrow();
  });
});
