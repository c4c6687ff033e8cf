// credentials.unique-per-device against real in-process servers: units of one "model" on loopback
// addresses 127.0.0.1, .2 and .3, each with an ssh2 server, a TLS server and an HTTP Basic page on
// the same port numbers, sharing or not their host key, certificate and password. Also the
// siblings a descriptor names, and the scope guard admitting exactly those.
import * as x509 from "@peculiar/x509";
import { createHash, generateKeyPairSync, webcrypto } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { Server as SshServer, utils as sshUtils } from "ssh2";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "../harness/checks/crypto/certificate.js";
import { uniquePerDevice } from "../harness/checks/credentials/unique-per-device.js";
import type { AcceptedCredential, CertificateFact, Service } from "../harness/core/facts.js";
import { Scope } from "../harness/core/scope.js";
import { loadSiblings, siblingsOf, type Sibling } from "../harness/schema/siblings.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const DAY = 86_400_000;

const rsaHostKey = () => generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;

/** The OpenSSH fingerprint of a host key, worked out from the key file rather than from the wire. */
function fingerprintOf(privatePem: string): string {
  const key = sshUtils.parseKey(privatePem);
  if (key instanceof Error) throw key;
  return `SHA256:${createHash("sha256").update(key.getPublicSSH()).digest("base64").replace(/=+$/, "")}`;
}

interface Tls { keyPem: string; certPem: string; der: Buffer }

async function selfSigned(keys: CryptoKeyPair, serial: string): Promise<Tls> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial, name: "CN=plug.local", keys, signingAlgorithm: EC,
    notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 30 * DAY),
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64").match(/.{1,64}/g)!.join("\n");
  return { keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`, certPem: cert.toString("pem"), der: Buffer.from(cert.rawData) };
}
const ecKeys = async () => (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;

async function listen(server: NetServer | HttpServer | SshServer, host: string, port: number): Promise<number> {
  const sockets = new Set<Socket>();
  (server as NetServer).on("connection", (s: Socket) => {
    if (typeof s?.destroy === "function") { sockets.add(s); s.on("close", () => sockets.delete(s)); }
  });
  await new Promise<void>((resolve, reject) => {
    (server as NetServer).once("error", reject);
    server.listen(port, host, () => resolve());
  });
  cleanup.push(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  return (server.address() as AddressInfo).port;
}

interface UnitSecrets { hostKey: string; tls: Tls; password: string }
interface Ports { ssh: number; tls: number; http: number }

/** One unit on `host`: ssh2 (refuses every login), TLS, and /admin/ taking admin with `password`. */
async function unit(host: string, secrets: UnitSecrets, ports: Partial<Ports> = {}): Promise<Ports> {
  const ssh = new SshServer({ hostKeys: [secrets.hostKey] }, (client) => {
    client.on("error", () => {});
    client.on("authentication", (ctx) => ctx.reject());
  });
  const tls = createTlsServer({ key: secrets.tls.keyPem, cert: secrets.tls.certPem }, (s) => s.end());
  tls.on("tlsClientError", () => {});
  const http = createHttpServer((req, res) => {
    const expected = `Basic ${Buffer.from(`admin:${secrets.password}`).toString("base64")}`;
    res.writeHead(req.headers.authorization === expected ? 200 : 401, { "www-authenticate": 'Basic realm="plug"' }).end();
  });
  return {
    ssh: await listen(ssh, host, ports.ssh ?? 0),
    tls: await listen(tls, host, ports.tls ?? 0),
    http: await listen(http, host, ports.http ?? 0),
  };
}

const MAIN = "127.0.0.1";

function mainUnit(siblings: Descriptor["siblings"]): Descriptor {
  return { id: "plug-unit1", vendor: "Acme", model: "P1", firmware: "1", network: { address: MAIN }, ...(siblings ? { siblings } : {}) };
}

/** What the scan, the TLS check and the credential check publish about the main unit. */
function factsOf(ports: Ports, secrets: UnitSecrets) {
  const services: Service[] = [
    { port: ports.ssh, name: "ssh", tls: false },
    { port: ports.tls, name: "https", tls: true },
    { port: ports.http, name: "http", tls: false, http: [{ path: "/admin/", status: 401, authScheme: "basic" }] },
  ];
  const certificates: CertificateFact[] = [parseCertificate(secrets.tls.der, ports.tls, "https").fact];
  const accepted: AcceptedCredential[] = [{
    login: { name: "http", kind: "http", port: ports.http, tls: false, path: "/admin/" },
    username: "admin", password: secrets.password, source: "declared", unique: true,
  }];
  return { "tcp.services": services, "tls.certificates": certificates, "credentials.accepted": accepted };
}

describe("credentials.unique-per-device", () => {
  let one: UnitSecrets;
  let other: UnitSecrets;
  beforeAll(async () => {
    one = { hostKey: rsaHostKey(), tls: await selfSigned(await ecKeys(), "01"), password: "label-7Hq2" };
    other = { hostKey: rsaHostKey(), tls: await selfSigned(await ecKeys(), "02"), password: "label-Zp91" };
  });

  it("fails when a sibling shares the SSH host key, the TLS certificate and the per-unit password", async () => {
    const ports = await unit(MAIN, one);
    await unit("127.0.0.2", one, ports);
    const ctx = makeContext({ device: mainUnit([{ id: "plug-unit2", address: "127.0.0.2" }]), checkId: uniquePerDevice.id, facts: factsOf(ports, one) });
    const outcome = await uniquePerDevice.run(ctx);

    expect(outcome.verdict).toBe("fail");
    const sha256 = createHash("sha256").update(one.tls.der).digest("hex");
    expect(outcome.findings).toEqual([
      {
        severity: "high",
        title: `unit plug-unit2 (127.0.0.2) presents the same SSH ssh-rsa host key as this unit on port ${ports.ssh}`,
        target: { transport: "tcp", port: ports.ssh, service: "ssh" },
        evidence: { sibling: "plug-unit2", siblingAddress: "127.0.0.2", port: ports.ssh, keyType: "ssh-rsa", fingerprint: fingerprintOf(one.hostKey) },
      },
      {
        severity: "high",
        title: `unit plug-unit2 (127.0.0.2) presents the same TLS certificate as this unit on port ${ports.tls}`,
        target: { transport: "tcp", port: ports.tls, service: "https" },
        evidence: expect.objectContaining({ sibling: "plug-unit2", port: ports.tls, certificateSha256: sha256, subject: "CN=plug.local" }),
      },
      {
        severity: "critical",
        title: `unit plug-unit2 (127.0.0.2) accepts this unit's declared per-unit password for "admin" on http port ${ports.http}`,
        target: { transport: "tcp", port: ports.http, service: "http" },
        evidence: expect.objectContaining({ sibling: "plug-unit2", username: "admin", password: one.password, declaredUnique: true }),
      },
    ]);
    for (const f of outcome.findings ?? []) expect(f.title).not.toContain(one.password);
  });

  it("passes units that differ in every secret, after comparing each", async () => {
    const ports = await unit(MAIN, one);
    await unit("127.0.0.3", other, ports);
    const ctx = makeContext({ device: mainUnit([{ address: "127.0.0.3" }]), facts: factsOf(ports, one) });
    const outcome = await uniquePerDevice.run(ctx);

    expect(outcome.verdict).toBe("pass");
    expect(outcome.findings ?? []).toEqual([]);
    const results = (outcome.evidence?.comparisons as { what: string; result: string }[]).map((c) => [c.what, c.result]);
    expect(results).toEqual([
      ["SSH ssh-rsa host key", "different"],
      ["TLS certificate", "different"],
      ["TLS public key", "different"],
      ['declared per-unit password for "admin" on http', "different"],
    ]);
  });

  it("tells a certificate re-issued on the same key", async () => {
    const keys = await ecKeys();
    const first = { ...one, tls: await selfSigned(keys, "0a") };
    const ports = await unit(MAIN, first);
    await unit("127.0.0.2", { ...other, tls: await selfSigned(keys, "0b") }, ports);
    const ctx = makeContext({ device: mainUnit([{ address: "127.0.0.2" }]), facts: factsOf(ports, first) });
    const outcome = await uniquePerDevice.run(ctx);

    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.map((f) => f.title)).toEqual([`unit 127.0.0.2 presents a TLS certificate with the same key as this unit's on port ${ports.tls}`]);
  });

  it("is inconclusive, without a finding, when the sibling does not answer", async () => {
    const ports = await unit(MAIN, one);
    const ctx = makeContext({ device: mainUnit([{ address: "127.0.0.4" }]), facts: factsOf(ports, one) });
    const outcome = await uniquePerDevice.run(ctx);

    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.findings ?? []).toEqual([]);
    expect(outcome.summary).toMatch(/^0 compared, none shared; not compared: .*refused/);
  });

  it("is not applicable without siblings", async () => {
    const ctx = makeContext({ device: mainUnit(undefined), facts: { "tcp.services": [] } });
    expect((await uniquePerDevice.run(ctx)).verdict).toBe("not-applicable");
  });
});

describe("siblings and the scope guard", () => {
  const loaded = (namedAs: string, address: string): Sibling => ({ namedAs, id: namedAs, address });

  it("admits a sibling's address only when the descriptor names it", () => {
    const device = mainUnit(["unit2.yaml", { address: "192.0.2.12" }]);
    const scope = Scope.fromDescriptor(device, [loaded("unit2.yaml", "192.0.2.11"), loaded("unit9.yaml", "192.0.2.19")]);
    expect(scope.allows("192.0.2.11")).toBe(true);
    expect(scope.allows("192.0.2.12")).toBe(true);
    expect(scope.allows("192.0.2.19")).toBe(false);
    expect(Scope.fromDescriptor(mainUnit(undefined), [loaded("unit2.yaml", "192.0.2.11")]).allows("192.0.2.11")).toBe(false);
  });

  it("never contacts a loaded sibling that the descriptor does not name", async () => {
    const ports = await unit(MAIN, { hostKey: rsaHostKey(), tls: await selfSigned(await ecKeys(), "03"), password: "x" });
    const ctx = makeContext({
      device: mainUnit(undefined), options: { siblings: [loaded("rogue.yaml", "127.0.0.2")] },
      facts: { "tcp.services": [{ port: ports.ssh, name: "ssh", tls: false }] },
    });
    expect(ctx.scope.allows("127.0.0.2")).toBe(false);
    expect((await uniquePerDevice.run(ctx)).verdict).toBe("not-applicable");
    expect(ctx.ledger.all()).toEqual([]);
  });

  it("loads sibling descriptors from paths relative to the naming descriptor", async () => {
    const dir = await mkdtemp(join(tmpdir(), "iotcert-siblings-"));
    await writeFile(join(dir, "unit2.yaml"), "id: plug-unit2\nvendor: Acme\nmodel: P1\nfirmware: \"1\"\nnetwork: { address: 192.0.2.11 }\n");
    await writeFile(join(dir, "nonet.yaml"), "id: plug-unit3\nvendor: Acme\nmodel: P1\nfirmware: \"1\"\n");
    const device = mainUnit(["unit2.yaml", { address: "192.0.2.12" }]);
    const found = await loadSiblings(device, join(dir, "unit1.yaml"));
    expect(found).toEqual([{ namedAs: "unit2.yaml", id: "plug-unit2", address: "192.0.2.11", source: { path: join(dir, "unit2.yaml"), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } }]);
    expect(siblingsOf(device, found).map((s) => s.address)).toEqual(["192.0.2.12", "192.0.2.11"]);
    await expect(loadSiblings(mainUnit(["nonet.yaml"]), join(dir, "unit1.yaml"))).rejects.toThrow(/siblings\[0\]: nonet.yaml has no network.address/);
  });
});
