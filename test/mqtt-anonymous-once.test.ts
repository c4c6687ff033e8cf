// One finding per weakness: a broker open to anyone is reported once, by mqtt.anonymous-access,
// and that one finding fails both the password provision and the access-control ones in every
// shipped profile that has them. Through the engine, against an aedes broker that lets anyone in.
import { readdirSync } from "node:fs";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinRegistry } from "../harness/checks/index.js";
import { Pace } from "../harness/core/pace.js";
import { packagePath } from "../harness/core/paths.js";
import type { Report } from "../harness/core/report.js";
import { certify } from "../harness/core/run.js";
import { grade } from "../harness/grading/grade.js";
import { loadProfile } from "../harness/schema/load.js";
import type { Descriptor, Profile } from "../harness/schema/types.js";
import { startOpenBroker, type OpenBroker } from "./helpers/open-broker.js";

const CHECKS = ["mqtt.anonymous-access", "credentials.default-passwords"];

let broker: OpenBroker;
let profiles: Profile[];
let report: Report;
beforeAll(async () => {
  broker = await startOpenBroker();
  profiles = await Promise.all(readdirSync(packagePath("profiles")).filter((f) => f.endsWith(".yaml")).map((f) => loadProfile(packagePath("profiles", f))));
  const device: Descriptor = { id: "open-broker", vendor: "test", model: "test", firmware: "0", network: { address: "127.0.0.1", tcpPorts: [broker.port], udpPorts: [] } };
  report = await certify({
    device, profile: profiles.find((p) => p.id === "etsi-en-303-645")!, registry: builtinRegistry(), pace: Pace.named("fast"),
    options: { allowFragile: false, stateChanging: false }, log: pino({ level: "silent" }), signal: new AbortController().signal, version: "test", only: CHECKS,
  });
});
afterAll(() => broker.stop());

describe("anonymous MQTT", () => {
  it("is one finding, mqtt.anonymous-access's, while both checks fail on it", () => {
    const aboutTheBroker = report.findings.filter((f) => f.target?.port === broker.port);
    expect(aboutTheBroker).toEqual([expect.objectContaining({
      check: "mqtt.anonymous-access", severity: "critical",
      title: `MQTT broker 127.0.0.1:${broker.port} accepts a CONNECT without credentials (MQTT 3.1.1)`,
    })]);
    for (const id of CHECKS) expect(report.checks.find((c) => c.id === id)?.verdict).toBe("fail");
    expect(report.checks.find((c) => c.id === "credentials.default-passwords")?.summary).toContain("the finding is mqtt.anonymous-access's");
  });

  it("fails the password provision and the access-control ones in every shipped profile that maps them", () => {
    const verdicts = new Map(report.checks.map((c) => [c.id, c.verdict]));
    const device = { id: "open-broker", vendor: "test", model: "test", firmware: "0" };
    let graded = 0;
    for (const profile of profiles) {
      const passwords = profile.provisions.filter((p) => p.checks?.includes("credentials.default-passwords"));
      const served = profile.provisions.filter((p) => p.checks?.includes("mqtt.anonymous-access"));
      if (!served.length) continue;
      // The finding's check covers every provision the password check covers (NIST has one for both)
      for (const p of passwords) expect(p.checks, `${profile.id} ${p.id}`).toContain("mqtt.anonymous-access");
      const results = grade(profile, verdicts, device).provisions;
      for (const p of served) expect(results.find((r) => r.id === p.id)?.verdict, `${profile.id} ${p.id}`).toBe("fail");
      graded++;
    }
    expect(graded).toBeGreaterThanOrEqual(5);
  });
});
