import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlug } from "../devices/simulated/plug.js";
import type { SimulatedDevice } from "../devices/simulated/device.js";
import { tcpPorts } from "../harness/checks/surface/tcp-ports.js";
import { Pace } from "../harness/core/pace.js";
import { makeContext } from "./helpers/context.js";

describe("surface.tcp-ports", () => {
  let plug: SimulatedDevice;
  beforeAll(async () => { plug = await startPlug(); });
  afterAll(() => plug.stop());

  it("scans all 65535 ports and finds every port the device opened, with banners", async () => {
    const device = { ...plug.descriptor, network: { address: plug.host, tcpPorts: "all" } };
    const ctx = makeContext({ device, pace: Pace.named("fast") });
    const outcome = await tcpPorts.run(ctx);
    expect(outcome.verdict).toBe("pass");
    const open = ctx.facts.get("tcp.open")!.map((p) => p.port);
    for (const port of Object.values(plug.ports)) expect(open).toContain(port);
    const telnet = ctx.facts.get("tcp.open")!.find((p) => p.port === plug.ports.telnet);
    expect(telnet?.banner).toMatch(/^\\xff\\xf[b-e]/);
    expect(ctx.ledger.all().reduce((n, p) => n + p.count, 0)).toBeGreaterThanOrEqual(65535);
  });

  it("publishes nothing and is inconclusive when no port is open", async () => {
    const device = { ...plug.descriptor, network: { address: plug.host, tcpPorts: [1, 2, 3] } };
    const ctx = makeContext({ device, pace: Pace.named("fast") });
    const outcome = await tcpPorts.run(ctx);
    expect(outcome.verdict).toBe("inconclusive");
    expect(ctx.facts.has("tcp.open")).toBe(false);
  });
});
