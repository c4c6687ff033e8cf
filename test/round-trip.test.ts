import { describe, expect, it } from "vitest";
import { RoundTrip } from "../harness/checks/surface/round-trip.js";

describe("RoundTrip", () => {
  it("waits the ceiling until something was measured", () => {
    const rtt = new RoundTrip();
    expect(rtt.timeoutMs(1500)).toBe(1500);
    expect(rtt.medianMs()).toBeUndefined();
  });

  it("times out after the mean plus four mean deviations, within the floor and the ceiling", () => {
    const rtt = new RoundTrip();
    for (const ms of [100, 100, 100, 500]) rtt.add(ms);
    // mean 200, mean deviation 150
    expect(rtt.timeoutMs(3000)).toBe(800);
    expect(rtt.timeoutMs(500)).toBe(500);
    const fast = new RoundTrip();
    for (const ms of [0.2, 0.3, 0.25]) fast.add(ms);
    expect(fast.timeoutMs(3000)).toBe(250);
  });

  it("reports the median to a tenth of a millisecond, over a full scan's worth of samples", () => {
    const rtt = new RoundTrip();
    for (const ms of [1, 2, 3.04, 100]) rtt.add(ms);
    expect(rtt.medianMs()).toBe(3);
    const many = new RoundTrip();
    for (let i = 0; i < 65535; i++) many.add(i % 3 ? 4.26 : 0.5);
    expect(many.count).toBe(65535);
    expect(many.medianMs()).toBe(4.3);
    const slow = new RoundTrip();
    slow.add(20_000);
    expect(slow.medianMs()).toBe(9999.9);
  });
});
