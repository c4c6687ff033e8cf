// Generating a MUD file from observed traffic: the proposal validates with the same schema and rules
// as any MUD file, and the traffic it was made from keeps to it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCapture } from "../harness/mud/capture.js";
import { conformance } from "../harness/mud/conform.js";
import { generateMud } from "../harness/mud/generate.js";
import { validateMud } from "../harness/mud/validate.js";
import { runMud } from "./fixtures/mud/cli.js";
import { PcapBuilder } from "./fixtures/mud/pcap.js";

const dir = mkdtempSync(join(tmpdir(), "iotcert-mud-generate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEVICE = "198.18.0.10";
const DEVICE6 = "2001:db8::10";
const URL = "https://lighting.example.com/lightbulb2000";
const T0 = 1_750_000_000;

function observed(): string {
  const b = new PcapBuilder({ [DEVICE]: "02:00:00:00:00:10" })
    .dhcpv4(T0, "02:00:00:00:00:10", DEVICE, URL)
    .dns(T0 + 1, DEVICE, "198.18.0.1", "api.lighting.example.com", [
      { name: "api.lighting.example.com", type: "CNAME", value: "edge-7.cdn.example.net" },
      { name: "edge-7.cdn.example.net", type: "A", value: "198.19.7.7" },
    ])
    .tcpConnection(T0 + 2, DEVICE, 40000, "198.19.7.7", 443)
    .tcpConnection(T0 + 3, DEVICE, 40001, "198.19.7.7", 443)
    .udp(T0 + 4, DEVICE, 123, "198.19.8.8", 123)
    .udp(T0 + 4.1, "198.19.8.8", 123, DEVICE, 123)
    .tcpConnection(T0 + 5, "198.18.0.20", 51000, DEVICE, 80)
    .udp(T0 + 6, DEVICE, 5353, "224.0.0.251", 5353)
    .tcpConnection(T0 + 7, DEVICE6, 40010, "2001:db8:1::7", 8883);
  const file = join(dir, "observed.pcap");
  writeFileSync(file, b.bytes());
  return file;
}

describe("generateMud", () => {
  it("proposes a file that validates and that the observed traffic keeps to", async () => {
    const capture = await readCapture(observed());
    const { mud, infrastructure } = generateMud(capture, { device: [DEVICE, DEVICE6], mudUrl: URL, localNetworks: ["198.18.0.0/24"], now: new Date("2025-06-01T12:00:00Z") });
    expect(validateMud(Buffer.from(JSON.stringify(mud)), { url: URL, now: new Date("2025-06-01T12:00:00Z") })).toMatchObject({ problems: [], notes: [] });
    expect(infrastructure).toBe(3);
    expect(mud["ietf-mud:mud"]["last-update"]).toBe("2025-06-01T12:00:00+00:00");

    const result = conformance(mud, capture, { device: [DEVICE, DEVICE6], localNetworks: ["198.18.0.0/24"] });
    expect(result.violations).toEqual([]);
    expect(result.permitted).toBe(result.judged);
  });

  it("names a remote end by the DNS name the device asked for, keeps service ports and who opened TCP", async () => {
    const { mud } = generateMud(await readCapture(observed()), { device: [DEVICE, DEVICE6], mudUrl: URL, localNetworks: ["198.18.0.0/24"] });
    const acls = Object.fromEntries((mud["ietf-access-control-list:acls"]?.acl ?? []).map((a) => [a.name.replace(/^mud-\d+-/, ""), a.aces?.ace?.map((e) => e.matches)]));
    expect(Object.keys(acls).sort()).toEqual(["v4fr", "v4to", "v6fr", "v6to"]);
    expect(acls.v4fr).toEqual([
      { ipv4: { protocol: 6, "ietf-acldns:dst-dnsname": "api.lighting.example.com" }, tcp: { "destination-port": { operator: "eq", port: 443 }, "ietf-mud:direction-initiated": "from-device" } },
      { ipv4: { protocol: 17, "destination-ipv4-network": "198.19.8.8/32" }, udp: { "destination-port": { operator: "eq", port: 123 } } },
      { ipv4: { protocol: 6 }, "ietf-mud:mud": { "local-networks": [null] }, tcp: { "source-port": { operator: "eq", port: 80 }, "ietf-mud:direction-initiated": "to-device" } },
      { ipv4: { protocol: 17, "destination-ipv4-network": "224.0.0.251/32" }, udp: { "destination-port": { operator: "eq", port: 5353 } } },
    ]);
    expect(acls.v6fr).toEqual([
      { ipv6: { protocol: 6, "destination-ipv6-network": "2001:db8:1::7/128" }, tcp: { "destination-port": { operator: "eq", port: 8883 }, "ietf-mud:direction-initiated": "from-device" } },
    ]);
  });
});

describe("iotcert mud generate", () => {
  it("writes a proposal that iotcert mud validate accepts", async () => {
    const out = join(dir, "proposed.json");
    const r = await runMud("generate", observed(), "--device-ip", DEVICE, "--device-ip", DEVICE6, "--mud-url", URL, "--mfg-name", "Example Lighting", "--out", out);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^\d+ access-list entries from \d+ flows; 3 DHCP\/DNS\/neighbour-discovery flows left out\n$/);
    expect(JSON.parse(readFileSync(out, "utf8"))["ietf-mud:mud"]["mfg-name"]).toBe("Example Lighting");
    const check = await runMud("validate", out, "--url", URL);
    expect(check.code).toBe(0);
  });

  it("prints to standard output without --out, and refuses an http MUD URL", async () => {
    const r = await runMud("generate", observed(), "--device-ip", DEVICE, "--mud-url", URL);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)["ietf-mud:mud"]["mud-url"]).toBe(URL);
    const bad = await runMud("generate", observed(), "--device-ip", DEVICE, "--mud-url", "http://lighting.example.com/x");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("uses http");
  });
});
