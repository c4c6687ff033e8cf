// The mqtt.* checks against the lab's mosquitto brokers: the plug (198.18.0.10) with anonymous
// 1883 and password-protected TLS on 8883, and the thermostat (198.18.0.20) with TLS and its
// per-unit password only. An mqtt.js client stands for another device publishing on the plug.
// Needs the lab (root and its Debian packages); skips with the reason elsewhere, never under CI=true.
import { readFileSync } from "node:fs";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { anonymousAccess } from "../../harness/checks/mqtt/anonymous-access.js";
import { transportSecurity } from "../../harness/checks/mqtt/transport-security.js";
import { wildcardSubscribe } from "../../harness/checks/mqtt/wildcard-subscribe.js";
import type { Service } from "../../harness/core/facts.js";
import { Pace } from "../../harness/core/pace.js";
import type { Descriptor } from "../../harness/schema/types.js";
import { makeContext } from "../helpers/context.js";
import { LAB, labUp, requireLab } from "./lab.js";

const lab = requireLab();
const load = (name: string) => parse(readFileSync(new URL(`devices/${name}`, import.meta.url), "utf8")) as Descriptor;
const plug = load("vuln.yaml");
const hard = load("hard.yaml");
// What surface.services names on each (test/lab/surface-lab.test.ts checks it)
const plugServices: Service[] = [{ port: 1883, name: "mqtt", tls: false }, { port: 8883, name: "mqtts", tls: true }];
const hardServices: Service[] = [{ port: 8883, name: "mqtts", tls: true }];
const ctxFor = (device: Descriptor, services: Service[]) => makeContext({ device, facts: { "tcp.services": services }, pace: Pace.named("normal") });

const TOPIC = "acme/plug-7/config";

describe.skipIf(lab.skip)(`MQTT checks in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  beforeAll(async () => {
    await labUp();
    // Another unit on the plug's broker leaves its configuration retained, password and all
    const other = await mqtt.connectAsync(`mqtt://${LAB.vuln.address}:1883`, { reconnectPeriod: 0, clientId: "acme-plug-7" });
    await other.publishAsync(TOPIC, '{"ssid":"home","wifi_password":"correct-horse-9"}', { qos: 1, retain: true });
    await other.endAsync();
  });
  afterAll(async () => {
    if (lab.skip) return;
    // An empty retained message deletes it (MQTT 3.1.1 §3.3.1.3)
    const other = await mqtt.connectAsync(`mqtt://${LAB.vuln.address}:1883`, { reconnectPeriod: 0 });
    await other.publishAsync(TOPIC, "", { qos: 1, retain: true });
    await other.endAsync();
  });

  it("mqtt.anonymous-access fails on the plug's 1883 and records 8883's refusals", async () => {
    const out = await anonymousAccess.run(ctxFor(plug, plugServices));
    expect(out.verdict).toBe("fail");
    expect(out.findings).toHaveLength(1);
    expect(out.findings![0]!.title).toContain("198.18.0.10:1883 accepts a CONNECT without credentials (MQTT 3.1.1 and 5)");
    expect(out.summary).toContain("198.18.0.10:8883 (TLS) 3.1.1: 0x05 not-authorized, 5: 0x87 not-authorized");
  });

  it("mqtt.anonymous-access passes on the thermostat", async () => {
    const out = await anonymousAccess.run(ctxFor(hard, hardServices));
    expect(out.verdict).toBe("pass");
    expect(out.summary).toContain("3.1.1: 0x05 not-authorized, 5: 0x87 not-authorized");
  });

  it("mqtt.wildcard-subscribe reads another unit's retained configuration on the plug, password found", async () => {
    const out = await wildcardSubscribe.run(ctxFor(plug, plugServices));
    expect(out.verdict).toBe("fail");
    const sessions = (out.evidence as { sessions: { broker: string; topics: string[] }[] }).sessions;
    const anon = sessions.find((s) => s.broker === "198.18.0.10:1883")!;
    expect(anon.topics).toContain(TOPIC);
    expect(anon.topics.some((t) => t.startsWith("$SYS/broker/"))).toBe(true);
    const leak = out.findings!.find((f) => f.title.includes(TOPIC) && f.title.includes("(retained)"))!;
    expect(leak.title).not.toContain("correct-horse");
    expect(Object.values(leak.evidence!)).toContain("correct-horse-9");
  });

  it("mqtt.wildcard-subscribe on the thermostat: anonymous refused, its own per-unit credential only (info)", async () => {
    const out = await wildcardSubscribe.run(ctxFor(hard, hardServices));
    expect(out.summary).toContain("no credentials: CONNECT refused");
    expect(out.verdict).toBe("pass");
    expect(out.findings!.every((f) => f.severity === "info")).toBe(true);
  });

  it("mqtt.transport-security fails on the plug (1883 beside 8883) and passes on the thermostat", async () => {
    const p = await transportSecurity.run(ctxFor(plug, plugServices));
    expect(p.verdict).toBe("fail");
    expect(p.findings![0]!.title).toBe("plaintext MQTT on 198.18.0.10:1883 is still open beside MQTT over TLS (8883)");
    expect(p.summary).toContain("CN=smartplug.local");
    const h = await transportSecurity.run(ctxFor(hard, hardServices));
    expect(h.verdict).toBe("pass");
    expect(h.summary).toContain("CN=thermostat.local");
  });
});
