import { describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../devices/simulated/device.js";
import { startPlug } from "../devices/simulated/plug.js";
import { startThermostat } from "../devices/simulated/thermostat.js";

const windowOf = (d: SimulatedDevice) => {
  const [first, last] = String(d.descriptor.network!.tcpPorts).split("-").map(Number);
  return { host: d.host, first: first!, last: last! };
};

describe("simulated devices' port windows", () => {
  it("never overlap, even for devices started at once, so no scan sees another device", async () => {
    const devices = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? startThermostat() : startPlug())));
    try {
      const windows = devices.map(windowOf);
      for (const [i, a] of windows.entries()) {
        for (const b of windows.slice(i + 1)) {
          if (a.host === b.host) expect(a.last < b.first || b.last < a.first, `${a.first}-${a.last} and ${b.first}-${b.last}`).toBe(true);
        }
      }
      // Every port a device listens on is inside its own window only
      for (const d of devices) {
        for (const port of Object.values(d.ports)) {
          expect(windows.filter((w) => w.host === d.host && w.first <= port && port <= w.last)).toHaveLength(1);
        }
      }
    } finally {
      await Promise.all(devices.map((d) => d.stop()));
    }
  });
});
