// The mud.file and mud.conformance checks against a real HTTPS server on loopback that serves a MUD
// file and its OpenSSL signature, and the same through `iotcert mud validate https://…`.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunOptions } from "../harness/core/types.js";
import { mudConformance } from "../harness/checks/mud/conformance.js";
import { mudFile } from "../harness/checks/mud/file.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { runMud } from "./fixtures/mud/cli.js";
import { PcapBuilder } from "./fixtures/mud/pcap.js";
import { TestPki } from "./fixtures/mud/pki.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "mud");
const pki = new TestPki();
let server: Server;
let base: string;
let routes: Record<string, Buffer | { status: number; headers?: Record<string, string> }> = {};

beforeAll(async () => {
  server = createServer({ key: pki.key("server"), cert: pki.pem("server") }, (req, res) => {
    const route = routes[req.url ?? ""];
    if (Buffer.isBuffer(route)) res.writeHead(200, { "content-type": "application/mud+json" }).end(route);
    else if (route) res.writeHead(route.status, route.headers ?? {}).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  pki.dispose();
});
afterEach(() => (routes = {}));

/** The lightbulb fixture, published at our server: its mud-url (and mud-signature) point there. */
function lightbulb(change: (mud: Record<string, any>) => void = () => {}, signed = true): Buffer {
  const doc = JSON.parse(readFileSync(join(FIXTURES, "osmud-lightbulb2000.json"), "utf8"));
  doc["ietf-mud:mud"]["mud-url"] = `${base}/bulb.json`;
  if (signed) doc["ietf-mud:mud"]["mud-signature"] = `${base}/bulb.p7s`;
  change(doc["ietf-mud:mud"]);
  return Buffer.from(JSON.stringify(doc, null, 2));
}

function publish(file: Buffer, signature?: Buffer): void {
  routes["/bulb.json"] = file;
  if (signature) routes["/bulb.p7s"] = signature;
}

const device = (mudUrl?: string): Descriptor => ({
  id: "bulb", vendor: "Example", model: "Bulb", firmware: "1", network: { address: "198.18.0.10" },
  ...(mudUrl ? { declared: { mudUrl } } : {}),
});
/** A context for the bulb; `mudUrl` null: the descriptor declares none. */
const context = (options: Partial<RunOptions> & { mudTrustAnchors?: string[]; mudCapture?: string } = {}, mudUrl: string | null = `${base}/bulb.json`) =>
  makeContext({ device: device(mudUrl ?? undefined), options: options as Partial<RunOptions>, pace: Pace.named("fast", { connectTimeoutMs: 2000 }) });
const trusted = () => ({ mudTrustAnchors: [pki.pem("ca")] });

describe("mud.file", () => {
  it("passes a valid file signed by a signer the lab trusts, naming the signer", async () => {
    const file = lightbulb();
    publish(file, pki.sign(file));
    const outcome = await mudFile.run(context(trusted()));
    expect(outcome).toMatchObject({ verdict: "pass", summary: "valid MUD file, signature verified (CN=MUD signer, O=Example Lighting)", findings: [] });
  });

  it("fails a file changed after signing (high), and one signed by an untrusted signer (medium)", async () => {
    const file = lightbulb();
    publish(Buffer.from(file.toString().replace('"port": 443', '"port": 4443')), pki.sign(file));
    const tampered = await mudFile.run(context(trusted()));
    expect(tampered.verdict).toBe("fail");
    expect(tampered.findings?.map((f) => [f.severity, f.title.split(":")[0]])).toEqual([["high", "MUD signature tampered"]]);

    publish(file, pki.sign(file, "rogue-signer", "rogue-ca"));
    const untrusted = await mudFile.run(context(trusted()));
    expect(untrusted.verdict).toBe("fail");
    expect(untrusted.findings?.map((f) => [f.severity, f.title.split(":")[0]])).toEqual([["medium", "MUD signature untrusted"]]);
  });

  it("fails an unsigned file, and is inconclusive on a signed one when the lab gave no trust anchor", async () => {
    publish(lightbulb(() => {}, false));
    const unsigned = await mudFile.run(context(trusted()));
    expect(unsigned.verdict).toBe("fail");
    expect(unsigned.findings).toEqual([expect.objectContaining({ severity: "low", title: "MUD signature unsigned: the MUD file names no mud-signature" })]);

    const file = lightbulb();
    publish(file, pki.sign(file));
    const noAnchor = await mudFile.run(context());
    expect(noAnchor.verdict).toBe("inconclusive");
    expect(noAnchor.summary).toContain("no trust anchor given (--mud-trust)");
  });

  it("fails a file whose mud-url is not where it was fetched from, with the reason", async () => {
    const file = lightbulb((m) => (m["mud-url"] = "https://lighting.example.com/lightbulb2000"));
    publish(file, pki.sign(file));
    const outcome = await mudFile.run(context(trusted()));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.[0]?.title).toBe(`invalid MUD file: ietf-mud:mud.mud-url: "https://lighting.example.com/lightbulb2000" is not the URL the file came from ("${base}/bulb.json")`);
  });

  it("fails when the manufacturer says the device is no longer supported", async () => {
    const file = lightbulb((m) => (m["is-supported"] = false));
    publish(file, pki.sign(file));
    const outcome = await mudFile.run(context(trusted()));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.map((f) => [f.severity, f.title])).toEqual([["medium", "the MUD file says the device is no longer supported"]]);
  });

  it("fails a MUD URL that answers 404, redirects elsewhere, or serves too much", async () => {
    const notFound = await mudFile.run(context(trusted()));
    expect(notFound.findings?.[0]?.title).toBe(`MUD file not available: ${base}/bulb.json: HTTP 404`);

    routes["/bulb.json"] = { status: 302, headers: { location: "https://evil.example/bulb.json" } };
    const redirect = await mudFile.run(context(trusted()));
    expect(redirect.verdict).toBe("fail");
    expect(redirect.findings?.[0]?.title).toContain("HTTP 302 redirect to https://evil.example/bulb.json; iotcert fetches MUD files from the URL itself only");

    routes["/bulb.json"] = Buffer.alloc(300 * 1024, 0x20);
    const huge = await mudFile.run(context(trusted()));
    expect(huge.findings?.[0]?.title).toBe(`MUD file not available: ${base}/bulb.json: larger than 262144 bytes`);
  });

  it("is inconclusive when the URL is only in a certificate and its host is out of scope", async () => {
    const ctx = context(trusted(), null);
    ctx.facts.set("tls.certificates", [{
      port: 443, service: "https", subject: "", issuer: "", selfSigned: true, notBefore: "", notAfter: "", keyType: "ec", keyBits: 256,
      subjectAltNames: [], sha256: "", publicKeySha256: "",
      der: readFileSync(pki.deviceCertificate("scope", "1.3.6.1.5.5.7.1.25=ASN1:IA5STRING:https://127.0.0.2/bulb.json")).toString("utf8")
        .replace(/-----[^-]+-----|\s/g, ""),
    }]);
    const outcome = await mudFile.run(ctx);
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toContain("refused to contact address 127.0.0.2: the device descriptor does not name it");
  });

  it("is not applicable to a device that names no MUD URL, and plans one GET pair otherwise", async () => {
    expect((await mudFile.run(context({}, null))).verdict).toBe("not-applicable");
    expect(mudFile.plan(device("https://lighting.example.com/bulb.json"), Pace.named("normal"))).toEqual([
      { address: "lighting.example.com", port: 443, protocol: "https", count: "1-2", note: "GET the MUD file, then its signature" },
    ]);
  });
});

describe("mud.conformance", () => {
  const DEVICE = "198.18.0.10";
  const capture = (name: string, extra: (b: PcapBuilder) => PcapBuilder = (b) => b) => {
    const b = new PcapBuilder({ [DEVICE]: "02:00:00:00:00:10" })
      .dns(1_750_000_000, DEVICE, "198.18.0.1", "test.example.com", [], "AAAA")
      .tcpConnection(1_750_000_001, "2001:db8::10", 40000, "2001:db8:1::1", 443);
    const file = pki.path(name);
    writeFileSync(file, extra(b).bytes());
    return file;
  };

  it("fails with one finding per kind of flow the MUD file does not permit, with time and endpoints", async () => {
    const file = lightbulb();
    publish(file, pki.sign(file));
    const outcome = await mudConformance.run(context({ mudCapture: capture("checks-bad.pcap", (b) => b.tcpConnection(1_750_000_005, DEVICE, 40100, "198.19.66.66", 443)) }));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.map((f) => f.title)).toEqual([
      "from-device flow 198.18.0.10:40100 → 198.19.66.66:443 tcp not permitted by the MUD file",
      "to-device flow 198.19.66.66:443 → 198.18.0.10:40100 tcp not permitted by the MUD file",
    ]);
    expect(outcome.findings?.[0]).toMatchObject({
      severity: "medium",
      target: { transport: "tcp", address: "198.19.66.66", port: 443 },
      evidence: { time: "2025-06-15T15:06:45.000Z", direction: "from-device", src: DEVICE, dst: "198.19.66.66", packets: 4 },
    });
  });

  it("is inconclusive without a capture, and when the capture holds nothing of the device", async () => {
    const file = lightbulb();
    publish(file, pki.sign(file));
    expect((await mudConformance.run(context())).summary).toBe("no capture of the device's traffic was given (--mud-capture)");
    const empty = await mudConformance.run(context({ mudCapture: capture("checks-empty.pcap") }));
    expect(empty).toMatchObject({ verdict: "inconclusive", summary: "the capture holds no flow of 198.18.0.10 to judge" });
  });

  it("passes when every flow of the device is permitted", async () => {
    const file = lightbulb((m) => {
      m["from-device-policy"]["access-lists"]["access-list"].push({ name: "v4-out" });
    });
    const doc = JSON.parse(file.toString());
    doc["ietf-access-control-list:acls"].acl.push({
      name: "v4-out", type: "ipv4-acl-type",
      aces: { ace: [{ name: "any-out", matches: { ipv4: { "destination-ipv4-network": "198.19.66.0/24" } }, actions: { forwarding: "accept" } }] },
    });
    const published = Buffer.from(JSON.stringify(doc));
    publish(published, pki.sign(published));
    const outcome = await mudConformance.run(context({ mudCapture: capture("checks-ok.pcap", (b) => b.udp(1_750_000_005, DEVICE, 40100, "198.19.66.66", 9999)) }));
    expect(outcome).toMatchObject({ verdict: "pass", summary: "all 1 flows keep to the MUD file" });
  });
});

describe("iotcert mud validate https://…", () => {
  it("fetches the file and its signature from that host and verifies them", async () => {
    const file = lightbulb();
    publish(file, pki.sign(file));
    const r = await runMud("validate", `${base}/bulb.json`, "--trust", pki.path("ca.pem"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("note: signature verified: signed by CN=MUD signer, O=Example Lighting");
  });

  it("exits 1 for a signature that does not match", async () => {
    const file = lightbulb();
    publish(file, pki.sign(Buffer.from(`${file.toString()} `)));
    const r = await runMud("validate", `${base}/bulb.json`, "--trust", pki.path("ca.pem"));
    expect(r.code).toBe(1);
    expect(r.out).toContain("signature tampered");
  });
});
