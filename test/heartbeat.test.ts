import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startPlug } from "../devices/simulated/plug.js";
import type { SimulatedDevice } from "../devices/simulated/device.js";
import { defaultPasswords } from "../harness/checks/credentials/default-passwords.js";
import { cleartextServices } from "../harness/checks/surface/cleartext-services.js";
import { services } from "../harness/checks/surface/services.js";
import { tcpPorts } from "../harness/checks/surface/tcp-ports.js";
import { Pace } from "../harness/core/pace.js";
import { Registry } from "../harness/core/registry.js";
import { certify } from "../harness/core/run.js";
import type { Check } from "../harness/core/types.js";
import type { Profile } from "../harness/schema/types.js";

let plug: SimulatedDevice | undefined;
afterEach(() => plug?.stop());

/** Stands for a probe that crashes the device under test. */
function crashing(device: SimulatedDevice): Check {
  return {
    id: "test.crash", title: "crashes the device", description: "", effect: "intrusive", needs: ["ip"],
    consumes: ["tcp.open"], plan: () => [],
    run: async () => {
      device.freeze();
      return { verdict: "pass", summary: "sent the fatal packet" };
    },
  };
}

describe("heartbeat", () => {
  it("a device that stops answering halfway: later checks inconclusive, a finding names the check", async () => {
    plug = await startPlug();
    const profile: Profile = {
      id: "t", title: "t", levels: ["low"],
      provisions: [
        { id: "A", title: "crash", level: "low", checks: ["test.crash"] },
        { id: "B", title: "logins", level: "low", checks: ["credentials.default-passwords", "surface.cleartext-services"] },
      ],
    };
    const report = await certify({
      device: plug.descriptor, profile,
      registry: new Registry([tcpPorts, services, crashing(plug), defaultPasswords, cleartextServices]),
      pace: Pace.named("gentle", { checkConcurrency: 1, heartbeatBackoffMs: [50, 100] }),
      options: { allowFragile: false, stateChanging: false },
      log: pino({ level: "silent" }), signal: new AbortController().signal, version: "test",
    });
    const verdicts = Object.fromEntries(report.checks.map((c) => [c.id, c.verdict]));
    expect(verdicts["surface.tcp-ports"]).toBe("pass");
    expect(verdicts["test.crash"]).toBe("inconclusive");
    for (const later of ["surface.services", "credentials.default-passwords", "surface.cleartext-services"]) {
      expect(verdicts[later]).toBe("inconclusive");
      expect(report.checks.find((c) => c.id === later)?.summary).toContain("stopped answering during test.crash");
    }
    const finding = report.findings.find((f) => f.check === "engine.heartbeat");
    expect(finding?.title).toContain("test.crash");
    expect(report.label.level).toBe("none");
  });
});
