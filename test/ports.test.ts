import { describe, expect, it } from "vitest";
import { checkPortSet, formatPortSet, inSortedPorts, parsePortSet } from "../harness/core/ports.js";

describe("port sets", () => {
  it("expands ranges, lists and 'all' into sorted unique ports", () => {
    expect(parsePortSet("80,22,1-3,2-4,8080")).toEqual([1, 2, 3, 4, 22, 80, 8080]);
    expect(parsePortSet([443, 80, 443])).toEqual([80, 443]);
    const all = parsePortSet("all");
    expect(all).toHaveLength(65535);
    expect([all[0], all[65534]]).toEqual([1, 65535]);
    expect(parsePortSet(undefined)).toEqual(all);
  });

  it("refuses what is not a port, with the same words whether it expands or only checks", () => {
    for (const [set, message] of [
      ["0-10", "port 0 is outside 1-65535"],
      ["22,70000", "port 70000 is outside 1-65535"],
      ["90-80", 'range "90-80" runs backwards'],
      ["http", '"http" is not a port or a range of ports'],
      [[22, 2.5], "port 2.5 is outside 1-65535"],
    ] as const) {
      expect(() => parsePortSet(set as string | number[]), String(set)).toThrow(message);
      expect(() => checkPortSet(set as string | number[]), String(set)).toThrow(message);
    }
    expect(() => checkPortSet("1-65535,8080")).not.toThrow();
  });

  it("writes sets back in their shortest range form", () => {
    expect(formatPortSet([82, 22, 80, 81, 81])).toBe("22,80-82");
    expect(formatPortSet(new Set([65535, 1, 2]))).toBe("1-2,65535");
    expect(formatPortSet(parsePortSet("all"))).toBe("1-65535");
    expect(formatPortSet([])).toBe("");
  });

  it("finds a port in a sorted list by bisection", () => {
    const ports = parsePortSet("22,80-90,443");
    expect([22, 80, 85, 90, 443].every((p) => inSortedPorts(ports, p))).toBe(true);
    expect([1, 23, 79, 91, 444, 65535].some((p) => inSortedPorts(ports, p))).toBe(false);
    expect(inSortedPorts([], 22)).toBe(false);
  });
});
