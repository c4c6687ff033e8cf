// Conformance: captures written with the test pcap builder, judged by the public MUD fixtures.
// Every flow a policy permits passes; flows injected to an undeclared host, from a non-local
// address, or opened the wrong way are each reported with their time and endpoints.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCapture } from "../harness/mud/capture.js";
import { conformance } from "../harness/mud/conform.js";
import type { MudFile } from "../harness/mud/model.js";
import { runMud } from "./fixtures/mud/cli.js";
import { PcapBuilder } from "./fixtures/mud/pcap.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "mud");
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as MudFile;
const dir = mkdtempSync(join(tmpdir(), "iotcert-mud-conform-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEVICE = "198.18.0.10";
const RESOLVER = "198.18.0.1";
const PHONE = "198.18.0.20";
const CLOUD = "198.19.5.5";
const UNDECLARED = "198.19.66.66";
const STRANGER = "198.19.99.1";
const LAN = ["198.18.0.0/24"];
const T0 = 1_750_000_000;
const at = (s: number) => new Date((T0 + s) * 1000).toISOString();

/** The NIST device's life on the lab network: everything its MUD file allows. */
function allowedTraffic(): PcapBuilder {
  return new PcapBuilder({ [DEVICE]: "02:00:00:00:00:10", [RESOLVER]: "02:00:00:00:00:01", [PHONE]: "02:00:00:00:00:20" })
    .dhcpv4(T0, "02:00:00:00:00:10", DEVICE, "https://local-networks-test.nist.local/super1")
    .dns(T0 + 1, DEVICE, RESOLVER, "www.nist.local", [{ name: "www.nist.local", type: "A", value: CLOUD }])
    .tcpConnection(T0 + 2, DEVICE, 40001, CLOUD, 800)
    .tcpConnection(T0 + 3, DEVICE, 40002, CLOUD, 800)
    .tcpConnection(T0 + 4, PHONE, 51000, DEVICE, 80);
}

function write(name: string, b: PcapBuilder): string {
  const file = join(dir, name);
  writeFileSync(file, b.bytes());
  return file;
}

const nist = () => fixture("nist-mudfile-local-networks.json");

describe("conformance to the NIST local-networks MUD file", () => {

  it("permits every flow the file allows, leaving the DHCP answer and DNS unjudged", async () => {
    const result = conformance(nist(), await readCapture(write("allowed.pcap", allowedTraffic())), { device: [DEVICE], localNetworks: LAN });
    expect(result.violations).toEqual([]);
    expect(result).toMatchObject({ judged: 6, permitted: 6, infrastructure: 3, caveats: [], truncated: false });
  });

  it("flags a flow to an undeclared host injected into the capture, with its time and endpoints", async () => {
    const capture = await readCapture(write("injected.pcap", allowedTraffic().tcpConnection(T0 + 10, DEVICE, 40100, UNDECLARED, 443)));
    const result = conformance(nist(), capture, { device: [DEVICE], localNetworks: LAN });
    expect(result.violations.map((v) => [at(v.flow.first - T0), v.direction, v.flow.src, v.flow.srcPort, v.flow.dst, v.flow.dstPort, v.reason])).toEqual([
      [at(10), "from-device", DEVICE, 40100, UNDECLARED, 443, "no entry of the from-device policy permits it"],
      [at(10.001), "to-device", UNDECLARED, 443, DEVICE, 40100, "no entry of the to-device policy permits it"],
    ]);
    expect(result.permitted).toBe(6);
  });

  it("flags a local-networks service reached from outside, and one opened the wrong way", async () => {
    const b = allowedTraffic()
      .tcpConnection(T0 + 20, STRANGER, 52000, DEVICE, 80)
      .tcpConnection(T0 + 30, DEVICE, 40200, PHONE, 80);
    const result = conformance(nist(), await readCapture(write("wrong-way.pcap", b)), { device: [DEVICE], localNetworks: LAN });
    expect(result.violations.map((v) => `${v.direction} ${v.flow.src}:${v.flow.srcPort} > ${v.flow.dst}:${v.flow.dstPort}`)).toEqual([
      `to-device ${STRANGER}:52000 > ${DEVICE}:80`,
      `from-device ${DEVICE}:80 > ${STRANGER}:52000`,
      `from-device ${DEVICE}:40200 > ${PHONE}:80`,
      `to-device ${PHONE}:80 > ${DEVICE}:40200`,
    ]);
  });

  it("resolves DNS names only through the capture's own answers to the device", async () => {
    const b = allowedTraffic().tcpConnection(T0 + 40, DEVICE, 40300, "198.19.5.6", 800);
    const result = conformance(nist(), await readCapture(write("unresolved.pcap", b)), { device: [DEVICE], localNetworks: LAN });
    expect(result.violations.map((v) => v.flow.dst)).toEqual(["198.19.5.6", DEVICE]);
  });

  it("groups a device's many connections to one service into one violation", async () => {
    const b = allowedTraffic();
    for (let i = 0; i < 5; i++) b.tcpConnection(T0 + 50 + i, DEVICE, 41000 + i, UNDECLARED, 443);
    const result = conformance(nist(), await readCapture(write("many.pcap", b)), { device: [DEVICE], localNetworks: LAN });
    expect(result.violations.map((v) => [v.direction, v.flows, v.packets])).toEqual([["from-device", 5, 20], ["to-device", 5, 10]]);
  });

  it("refuses to guess who opened a connection the capture joined late", async () => {
    const b = allowedTraffic()
      .tcp(T0 + 60, DEVICE, 40400, CLOUD, 800, "PA")
      .tcp(T0 + 60.1, CLOUD, 800, DEVICE, 40400, "A");
    const result = conformance(nist(), await readCapture(write("late.pcap", b)), { device: [DEVICE], localNetworks: LAN });
    expect(result.violations.map((v) => v.reason)).toEqual([
      "no entry of the from-device policy permits it (the capture does not show who opened this connection)",
      "no entry of the to-device policy permits it (the capture does not show who opened this connection)",
    ]);
  });
});

describe("reading captures", () => {
  it("judges what precedes a packet cut short at the end of the file, and says the capture is partial", async () => {
    const whole = allowedTraffic().tcpConnection(T0 + 10, DEVICE, 40100, UNDECLARED, 443).bytes();
    const file = join(dir, "cut.pcap");
    writeFileSync(file, whole.subarray(0, whole.length - 10));
    const result = conformance(nist(), await readCapture(file), { device: [DEVICE], localNetworks: LAN });
    expect(result.truncated).toBe(true);
    expect(result.caveats).toContain("only the first part of the capture was judged (it exceeds the limits, or ends in the middle of a packet)");
    expect(result.violations.map((v) => v.flow.dst)).toEqual([UNDECLARED, DEVICE]);
  });

  it("stops at the packet limit and says so", async () => {
    const capture = await readCapture(write("limit.pcap", allowedTraffic()), { maxPackets: 5, maxFlows: 100, maxAnswers: 100, timeoutMs: 30_000 });
    expect(capture).toMatchObject({ packets: 5, truncated: true });
  });

  it("says how to install tshark when it is missing", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await expect(readCapture(write("any.pcap", allowedTraffic()))).rejects.toThrow("reading captures needs tshark (Wireshark), which is not installed (Debian/Ubuntu: apt-get install tshark)");
    } finally {
      process.env.PATH = path;
    }
  });
});

describe("the MUD classes", () => {
  it("same-manufacturer: hosts whose MUD URL in the capture has the device's authority", async () => {
    const mud = fixture("mudmaker-same-manufacturer.json");
    const b = new PcapBuilder({ [DEVICE]: "02:00:00:00:00:10", "198.18.0.11": "02:00:00:00:00:11", "198.18.0.12": "02:00:00:00:00:12" })
      .dhcpv4(T0, "02:00:00:00:00:11", "198.18.0.11", "https://iot-device.example.com/another-model")
      .dhcpv4(T0, "02:00:00:00:00:12", "198.18.0.12", "https://other-maker.example/cam")
      .udp(T0 + 1, DEVICE, 7000, "198.18.0.11", 7000)
      .udp(T0 + 2, DEVICE, 7000, "198.18.0.12", 7000);
    const result = conformance(mud, await readCapture(write("same.pcap", b)), { device: [DEVICE] });
    expect(result.permitted).toBe(1);
    expect(result.violations.map((v) => v.flow.dst)).toEqual(["198.18.0.12"]);
  });

  it("my-controller: the addresses the lab names", async () => {
    const mud = fixture("mudmaker-my-controller.json");
    const b = new PcapBuilder().tcpConnection(T0, DEVICE, 40000, "198.18.0.2", 8883).tcpConnection(T0 + 1, DEVICE, 40001, "198.18.0.3", 8883);
    const result = conformance(mud, await readCapture(write("ctl.pcap", b)), { device: [DEVICE], myControllers: ["198.18.0.2"] });
    expect(new Set(result.violations.map((v) => v.flow.dst === DEVICE ? v.flow.src : v.flow.dst))).toEqual(new Set(["198.18.0.3"]));
  });
});

describe("iotcert mud conform", () => {
  it("exits 0 when every flow is permitted", async () => {
    const r = await runMud("conform", join(FIXTURES, "nist-mudfile-local-networks.json"), write("cli-ok.pcap", allowedTraffic()),
      "--device-ip", DEVICE, "--local-network", "198.18.0.0/24");
    expect(r.code).toBe(0);
    expect(r.out).toBe("");
    expect(r.err).toContain("6 flows judged, 6 permitted, 0 kinds not permitted; 3 DHCP/DNS/neighbour-discovery flows not judged");
  });

  it("exits 1 with one line per flow not permitted: time, direction, endpoints, protocol, names, reason", async () => {
    const capture = write("cli-bad.pcap", allowedTraffic()
      .dns(T0 + 9, DEVICE, RESOLVER, "telemetry.example.net", [{ name: "telemetry.example.net", type: "A", value: UNDECLARED }])
      .tcpConnection(T0 + 10, DEVICE, 40100, UNDECLARED, 443));
    const r = await runMud("conform", join(FIXTURES, "nist-mudfile-local-networks.json"), capture, "--device-ip", DEVICE, "--local-network", "198.18.0.0/24");
    expect(r.code).toBe(1);
    expect(r.out.trim().split("\n")).toEqual([
      `${at(10)} from-device ${DEVICE}:40100 -> ${UNDECLARED}:443 tcp (telemetry.example.net): no entry of the from-device policy permits it [4 packets]`,
      `${at(10.001)} to-device ${UNDECLARED}:443 -> ${DEVICE}:40100 tcp (telemetry.example.net): no entry of the to-device policy permits it [2 packets]`,
    ]);
  });

  it("exits 2 without --device-ip, or for a capture tshark cannot read", async () => {
    const mud = join(FIXTURES, "nist-mudfile-local-networks.json");
    expect((await runMud("conform", mud, write("x.pcap", allowedTraffic()))).code).toBe(2);
    writeFileSync(join(dir, "junk.pcap"), "not a capture");
    const r = await runMud("conform", mud, join(dir, "junk.pcap"), "--device-ip", DEVICE);
    expect(r.code).toBe(2);
    expect(r.err).toContain("tshark failed");
    expect((await runMud("conform", mud, join(dir, "absent.pcap"), "--device-ip", DEVICE)).code).toBe(2);
    expect((await runMud("conform", mud, write("y.pcap", allowedTraffic()), "--device-ip", "not-an-ip")).code).toBe(2);
  });
});
