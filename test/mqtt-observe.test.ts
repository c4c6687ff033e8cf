// Observe mode: the harness's own aedes broker (plain and TLS) records what simulated devices —
// mqtt.js clients, one over TLS with a client certificate from another loopback address — do
// there; mqtt.observe judges it, and `iotcert run` picks the observation up from the output folder.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import mqtt from "mqtt";
import mqttPacket from "mqtt-packet";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { main } from "../harness/cli/main.js";
import { observe } from "../harness/checks/mqtt/observe.js";
import type { Report } from "../harness/core/report.js";
import type { MqttObservation } from "../harness/observe/mqtt-observation.js";
import { MqttObserver } from "../harness/observe/mqtt-observer.js";
import { selfSignedCertificate } from "../harness/observe/self-signed.js";
import type { Descriptor } from "../harness/schema/types.js";
import { capture } from "./helpers/capture.js";
import { makeContext } from "./helpers/context.js";

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

const plug1: Descriptor = { id: "plug-1", vendor: "Acme", model: "P1", firmware: "1", network: { address: "127.0.0.1" } };
const plug2: Descriptor = { id: "plug-2", vendor: "Acme", model: "P1", firmware: "1", network: { address: "127.0.0.2" } };

/** Unit 1: plaintext, the factory credentials, telemetry and its Wi-Fi key left retained. */
async function plainDevice(url: string) {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, clientId: "acme-plug-1", username: "acme", password: "factory-pass-77" });
  await c.publishAsync("acme/plug-1/telemetry", '{"power_w":12.5}', { qos: 1 });
  await c.publishAsync("acme/plug-1/config", '{"ssid":"home","wifi_key":"abcd1234efgh"}', { qos: 1, retain: true });
  await c.endAsync();
}

/** Unit 2: TLS from 127.0.0.2 with a client certificate, but the same credentials. */
async function tlsDevice(url: string) {
  const cert = await selfSignedCertificate("acme-plug-2", ["127.0.0.2"]);
  const c = await mqtt.connectAsync(url, {
    reconnectPeriod: 0, clientId: "acme-plug-2", username: "acme", password: "factory-pass-77",
    rejectUnauthorized: false, key: cert.keyPem, cert: cert.certPem, localAddress: "127.0.0.2",
  } as mqtt.IClientOptions);
  await c.publishAsync("acme/plug-2/telemetry", '{"power_w":3}', { qos: 1 });
  await c.endAsync();
}

async function observeBoth(): Promise<MqttObservation> {
  const observer = await MqttObserver.start({
    host: "127.0.0.1", port: 0, tlsPort: 0, tls: await selfSignedCertificate("broker", ["127.0.0.1"]),
    units: new Map([["127.0.0.1", "plug-1"], ["127.0.0.2", "plug-2"]]),
  });
  try {
    await plainDevice(`mqtt://${observer.listeners.mqtt}`);
    await tlsDevice(`mqtts://${observer.listeners.mqtts}`);
  } finally {
    // stop() below returns the observation; a failure above still stops the broker
    cleanup.push(() => observer.stop());
  }
  const observation = await observer.stop();
  cleanup.pop();
  return observation;
}

describe("the observation broker", () => {
  it("records each device's TLS use, client certificate, credentials, topics and retained secrets", async () => {
    const o = await observeBoth();
    expect(o.sessions).toHaveLength(2);
    const [one, two] = o.sessions;
    expect(one).toMatchObject({
      unit: "plug-1", address: "127.0.0.1", transport: "mqtt", clientId: "acme-plug-1", protocolVersion: 4,
      username: "acme", password: "factory-pass-77", published: 2, topics: ["acme/plug-1/telemetry", "acme/plug-1/config"],
      retained: [{ topic: "acme/plug-1/config", bytes: 41, sample: '{"ssid":"home","wifi_key":"abcd1234efgh"}' }],
    });
    expect(one!.clientCertificate).toBeUndefined();
    expect(one!.secrets).toEqual([expect.objectContaining({ topic: "acme/plug-1/config", retain: true, pattern: "wifi-psk", key: "psk", value: "abcd1234efgh" })]);
    expect(two).toMatchObject({ unit: "plug-2", address: "127.0.0.2", transport: "mqtts", tlsProtocol: "TLSv1.3", username: "acme", topics: ["acme/plug-2/telemetry"] });
    expect(two!.clientCertificate!.subject).toBe("CN=acme-plug-2");
    expect(two!.clientCertificate!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("cuts a client that sends an endless publish, records it, and keeps serving", async () => {
    const observer = await MqttObserver.start({ host: "127.0.0.1", port: 0 });
    cleanup.push(() => observer.stop());
    const [host, port] = observer.listeners.mqtt!.split(":");
    const socket = connect(Number(port), host!);
    socket.on("error", () => {});
    await new Promise((r) => socket.once("connect", r));
    socket.write(mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "flood\x1b[31m", keepalive: 30 }));
    // A PUBLISH announcing some 200 MB, and 20 MiB of it
    socket.write(Buffer.from([0x30, 0x80, 0x80, 0xe8, 0x5f, 0x00, 0x01, 0x61]));
    const chunk = Buffer.alloc(1 << 20, 0x41);
    for (let i = 0; i < 20 && !socket.destroyed; i++) await new Promise((r) => socket.write(chunk, () => r(undefined)));
    await new Promise((r) => socket.once("close", r));
    await plainDevice(`mqtt://${observer.listeners.mqtt}`);
    const o = await observer.stop();
    cleanup.pop();
    expect(o.sessions[0]).toMatchObject({ clientId: "flood\\x1b[31m", cut: true, published: 0 });
    expect(o.sessions[1]).toMatchObject({ clientId: "acme-plug-1", published: 2 });
  });
});

describe("mqtt.observe", () => {
  it("fails unit 1: credentials in cleartext, shared with unit 2, and a retained Wi-Fi key", async () => {
    const o = await observeBoth();
    const out = await observe.run(makeContext({ device: plug1, options: { mqttObservation: o } }));
    expect(out.verdict).toBe("fail");
    expect(out.findings!.map((f) => [f.severity, f.title])).toEqual([
      ["high", 'the device sends its MQTT credentials (user "acme") without TLS'],
      ["high", "the device sends the same MQTT user name and password as plug-2: a credential shared by every unit"],
      ["high", "the device publishes a Wi-Fi pre-shared key on topic acme/plug-1/config as a retained message"],
    ]);
    expect(out.findings!.every((f) => !f.title.includes("factory-pass") && !f.title.includes("abcd1234"))).toBe(true);
    expect(out.summary).toContain("no TLS, no client certificate");
  });

  it("records unit 2's TLS and client certificate, and still fails it for the shared credentials", async () => {
    const o = await observeBoth();
    const out = await observe.run(makeContext({ device: plug2, options: { mqttObservation: o } }));
    expect(out.summary).toContain("TLS (TLSv1.3), client certificate");
    expect(out.findings!.map((f) => f.title)).toEqual(["the device sends the same MQTT user name and password as plug-1: a credential shared by every unit"]);
  });

  it("does not apply without an observation, and is inconclusive when the device never connected", async () => {
    expect((await observe.run(makeContext({ device: plug1 }))).verdict).toBe("not-applicable");
    const o = await observeBoth();
    const other: Descriptor = { ...plug1, id: "plug-9", network: { address: "127.0.0.9" } };
    expect((await observe.run(makeContext({ device: other, options: { mqttObservation: o } }))).verdict).toBe("inconclusive");
  });
});

describe("iotcert observe mqtt, then iotcert run", () => {
  it("writes the observation into the device's output folder, where the next run's report takes it up", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "iotcert-observe-"));
    const descriptor = join(tmp, "plug-1.yaml");
    writeFileSync(descriptor, stringify({ ...plug1, siblings: ["plug-2.yaml"] }));
    writeFileSync(join(tmp, "plug-2.yaml"), stringify(plug2));
    const outDir = join(tmp, "out");
    const file = join(outDir, "mqtt-observation.json");

    const err = capture();
    const out = capture();
    const observing = main(["observe", "mqtt", "--device", descriptor, "--listen", "127.0.0.1", "--port", "0", "--tls-port", "0", "--duration", "4", "--out", file], { out, err });
    let announced: RegExpExecArray | null = null;
    for (let i = 0; i < 100 && !announced; i++) {
      await new Promise((r) => setTimeout(r, 50));
      announced = /mqtt:\/\/(\S+) and mqtts:\/\/(\S+)/.exec(err.text());
    }
    expect(announced).not.toBeNull();
    await plainDevice(`mqtt://${announced![1]}`);
    await tlsDevice(`mqtts://${announced![2]}`);
    expect(await observing).toBe(0);
    expect(out.text()).toContain("2 sessions observed");
    const saved = JSON.parse(readFileSync(file, "utf8")) as MqttObservation;
    // It holds the devices' passwords: the owner's alone
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(saved.sessions.map((s) => s.unit)).toEqual(["plug-1", "plug-2"]);

    const runErr = capture();
    const code = await main(["run", descriptor, "--only", "mqtt.observe", "--out", outDir, "--redact"], { out: capture(), err: runErr });
    expect(code).toBe(0);
    expect(runErr.text()).toContain(`using the MQTT observation in ${file}`);
    const report = JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")) as Report;
    expect(report.checks.find((c) => c.id === "mqtt.observe")!.verdict).toBe("fail");
    const titles = report.findings.filter((f) => f.check === "mqtt.observe").map((f) => f.title);
    expect(titles).toContain("the device sends the same MQTT user name and password as plug-2: a credential shared by every unit");
    // --redact: the password and the Wi-Fi key are in the observation, not in the published report
    const text = readFileSync(join(outDir, "report.json"), "utf8");
    expect(text).not.toContain("factory-pass-77");
    expect(text).not.toContain("abcd1234efgh");
  });
});
