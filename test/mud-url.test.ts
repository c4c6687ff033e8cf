// Finding the MUD URL: in certificates made by openssl with the id-pe-mudURL extension, in DHCPv4,
// DHCPv6 and LLDP in a capture, and in the descriptor; and the mud.url check over all of them.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { CertificateFact } from "../harness/core/facts.js";
import type { RunOptions } from "../harness/core/types.js";
import { mudUrl } from "../harness/checks/mud/url.js";
import { readCapture } from "../harness/mud/capture.js";
import { deviceSightings } from "../harness/mud/sources.js";
import { certificateMud, certificatesInFile } from "../harness/mud/url.js";
import { mudUrlProblems } from "../harness/mud/url-rules.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { runMud } from "./fixtures/mud/cli.js";
import { PcapBuilder } from "./fixtures/mud/pcap.js";
import { TestPki } from "./fixtures/mud/pki.js";

const URL_A = "https://lighting.example.com/lightbulb2000";
const pki = new TestPki();
afterAll(() => pki.dispose());
const withUrl = (name: string, url: string) => pki.deviceCertificate(name, `1.3.6.1.5.5.7.1.25=ASN1:IA5STRING:${url}`);

function certificateFact(pemFile: string, port = 443): CertificateFact {
  const der = certificatesInFile(readFileSync(pemFile))[0]!;
  const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
  return {
    port, service: "https", subject: "CN=device", issuer: "CN=device", selfSigned: true, notBefore: "", notAfter: "",
    keyType: "ec", keyBits: 256, subjectAltNames: [], sha256: sha(der), publicKeySha256: sha(der), der: Buffer.from(der).toString("base64"),
  };
}

describe("MUD URL rules", () => {
  it("accepts an https URL and names every fault of a bad one", () => {
    expect(mudUrlProblems(URL_A)).toEqual([]);
    expect(mudUrlProblems("http://a.example/x")).toEqual(["uses http: a MUD URL must use https (RFC 8520)"]);
    expect(mudUrlProblems("https://u:p@a.example/x")).toEqual(["carries a user name or password"]);
    expect(mudUrlProblems("https://a.example/\u001b[2J")).toEqual(["contains spaces, control characters or non-ASCII characters"]);
    expect(mudUrlProblems("lighting")).toEqual(["is not an absolute URL"]);
    expect(mudUrlProblems(`https://a.example/${"x".repeat(300)}`)).toEqual(["is longer than 255 bytes"]);
  });
});

describe("the MUD URL in a certificate", () => {
  it("comes out of a certificate made by openssl req -x509 -addext 1.3.6.1.5.5.7.1.25=ASN1:IA5STRING:…", () => {
    const der = certificatesInFile(readFileSync(withUrl("bulb", URL_A)))[0]!;
    expect(certificateMud(der).url).toBe(URL_A);
  });

  it("iotcert mud url prints it from PEM and from DER", async () => {
    const pem = withUrl("bulb-pem", URL_A);
    const der = pki.path("bulb.der");
    execFileSync("openssl", ["x509", "-in", pem, "-outform", "DER", "-out", der]);
    for (const file of [pem, der]) {
      const r = await runMud("url", file);
      expect(r).toEqual({ code: 0, out: `${URL_A}\n`, err: "" });
    }
  });

  it("exits 1 for a certificate without the extension, or with an http URL", async () => {
    const none = await runMud("url", pki.path("ca.pem"));
    expect(none.code).toBe(1);
    expect(none.err).toContain("has no MUD URL extension");
    const http = await runMud("url", withUrl("bulb-http", "http://lighting.example.com/x"));
    expect(http.code).toBe(1);
    expect(http.out).toBe("http://lighting.example.com/x\n");
    expect(http.err).toContain("the MUD URL uses http");
  });

  it("exits 2 for a file that is not a certificate", async () => {
    writeFileSync(pki.path("junk.bin"), "hello");
    expect((await runMud("url", pki.path("junk.bin"))).code).toBe(2);
  });
});

const DEVICE = "198.18.0.10";
const DEVICE_MAC = "02:00:00:00:00:10";
const OTHER_MAC = "02:00:00:00:00:20";

function captureWithSightings(): string {
  const b = new PcapBuilder({ [DEVICE]: DEVICE_MAC, "198.18.0.1": "02:00:00:00:00:01", "198.18.0.11": OTHER_MAC });
  b.dhcpv4(1_700_000_000, DEVICE_MAC, DEVICE, URL_A)
    .dhcpv6(1_700_000_001, DEVICE_MAC, "fe80::10", "https://lighting.example.com/v6")
    .lldp(1_700_000_002, DEVICE_MAC, "https://lighting.example.com/lldp")
    .lldp(1_700_000_003, OTHER_MAC, "https://other.example.com/cam")
    .udp(1_700_000_004, DEVICE, 5000, "198.18.0.1", 5000)
    .udp(1_700_000_005, "198.18.0.11", 5000, "198.18.0.1", 5000);
  const file = pki.path("sightings.pcap");
  writeFileSync(file, b.bytes());
  return file;
}

describe("MUD URLs in a capture", () => {
  it("come from DHCPv4 option 161, DHCPv6 option 112 and LLDP, tied to the device by address or MAC", async () => {
    const capture = await readCapture(captureWithSightings());
    expect(capture.sightings.map((s) => [s.via, s.url, s.mac, s.address])).toEqual([
      ["DHCPv4 option 161", URL_A, DEVICE_MAC, DEVICE],
      ["DHCPv6 option 112", "https://lighting.example.com/v6", DEVICE_MAC, "fe80::10"],
      ["LLDP", "https://lighting.example.com/lldp", DEVICE_MAC, DEVICE],
      ["LLDP", "https://other.example.com/cam", OTHER_MAC, undefined],
    ]);
    expect(deviceSightings(capture, [DEVICE]).map((s) => s.url)).toEqual([URL_A, "https://lighting.example.com/v6", "https://lighting.example.com/lldp"]);
  });

  it("iotcert mud url CAPTURE lists each with where and when", async () => {
    const r = await runMud("url", captureWithSightings());
    expect(r.code).toBe(0);
    expect(r.out.split("\n")[0]).toBe(`${URL_A}  (DHCPv4 option 161, 2023-11-14T22:13:20.000Z, ${DEVICE_MAC} ${DEVICE})`);
    expect(r.out.trim().split("\n")).toHaveLength(4);
  });
});

describe("mud.url", () => {
  const device = (mudUrl?: string): Descriptor => ({
    id: "bulb", vendor: "Example", model: "Bulb", firmware: "1", network: { address: DEVICE },
    ...(mudUrl ? { declared: { mudUrl } } : {}),
  });

  it("passes when the declared URL and the certificate's agree", async () => {
    const ctx = makeContext({ device: device(URL_A), facts: { "tls.certificates": [certificateFact(withUrl("agree", URL_A))] } });
    const outcome = await mudUrl.run(ctx);
    expect(outcome.verdict).toBe("pass");
    expect(outcome.summary).toBe(`MUD URL ${URL_A} (from declared.mudUrl, certificate on port 443)`);
  });

  it("fails when they differ, or a URL is unusable", async () => {
    const ctx = makeContext({ device: device(URL_A), facts: { "tls.certificates": [certificateFact(withUrl("differ", "http://lighting.example.com/old"), 8443)] } });
    const outcome = await mudUrl.run(ctx);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.map((f) => f.title)).toEqual([
      "the MUD URL from certificate on port 8443 uses http: a MUD URL must use https (RFC 8520)",
      "the device names 2 different MUD URLs",
    ]);
  });

  it("finds the URL a device sends in DHCP in the capture the lab passes", async () => {
    const ctx = makeContext({ device: device(), options: { mudCapture: captureWithSightings() } as Partial<RunOptions> });
    const outcome = await mudUrl.run(ctx);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.map((f) => f.title)).toEqual(["the device names 3 different MUD URLs"]);
    expect((outcome.evidence?.urls as { from: string }[]).map((u) => u.from)).toEqual([
      "DHCPv4 option 161 at 2023-11-14T22:13:20.000Z", "DHCPv6 option 112 at 2023-11-14T22:13:21.000Z", "LLDP at 2023-11-14T22:13:22.000Z",
    ]);
  });

  it("fails, with a low finding, when the device names none (only the MUD profile asks)", async () => {
    const outcome = await mudUrl.run(makeContext({ device: device(), facts: { "tls.certificates": [certificateFact(pki.path("ca.pem"))] } }));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([{ severity: "low", title: "the device names no MUD URL (declared, in certificates or on the network)" }]);
  });
});
