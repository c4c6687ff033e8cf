import { describe, expect, it } from "vitest";
import { grade, gradeProvision, meetsLevel } from "../harness/grading/grade.js";
import type { Descriptor, Profile, Provision } from "../harness/schema/types.js";
import type { Verdict } from "../harness/core/types.js";

const device: Descriptor = { id: "d", vendor: "v", model: "m", firmware: "1" };
const p = (checks: string[]): Provision => ({ id: "x", title: "x", level: "low", checks });

describe("provision verdicts", () => {
  const cases: [string, Record<string, Verdict>, Verdict][] = [
    ["all pass", { a: "pass", b: "pass" }, "pass"],
    ["one fail wins over pass", { a: "pass", b: "fail" }, "fail"],
    ["fail wins over inconclusive", { a: "inconclusive", b: "fail" }, "fail"],
    ["fail wins over error", { a: "error", b: "fail" }, "fail"],
    ["inconclusive beats pass", { a: "pass", b: "inconclusive" }, "inconclusive"],
    ["error counts as inconclusive", { a: "pass", b: "error" }, "inconclusive"],
    ["all not-applicable", { a: "not-applicable", b: "not-applicable" }, "not-applicable"],
    ["pass with a not-applicable", { a: "pass", b: "not-applicable" }, "pass"],
    ["not-applicable with inconclusive", { a: "not-applicable", b: "inconclusive" }, "inconclusive"],
  ];
  it.each(cases)("%s", (_name, verdicts, expected) => {
    const result = gradeProvision(p(Object.keys(verdicts)), new Map(Object.entries(verdicts)), device);
    expect(result.verdict).toBe(expected);
  });

  it("a check that did not run is inconclusive, never a pass", () => {
    expect(gradeProvision(p(["a"]), new Map(), device).verdict).toBe("inconclusive");
  });

  it("attestations come from the descriptor, and a missing one is inconclusive", () => {
    const prov: Provision = { id: "5.2-1", title: "t", level: "low", attestation: true };
    const attested = { ...device, attestations: { "5.2-1": { verdict: "pass" as const } } };
    expect(gradeProvision(prov, new Map(), attested).verdict).toBe("pass");
    const failed = { ...device, attestations: { "5.2-1": { verdict: "fail" as const } } };
    expect(gradeProvision(prov, new Map(), failed).verdict).toBe("fail");
    const missing = gradeProvision(prov, new Map(), device);
    expect(missing.verdict).toBe("inconclusive");
    expect(missing.reason).toContain("no attestation recorded");
  });
});

describe("label", () => {
  const profile: Profile = {
    id: "t", title: "t", levels: ["low", "medium", "high"],
    provisions: [
      { id: "L1", title: "", level: "low", checks: ["c.low1"] },
      { id: "L2", title: "", level: "low", checks: ["c.low2"] },
      { id: "M1", title: "", level: "medium", checks: ["c.med"] },
      { id: "H1", title: "", level: "high", checks: ["c.high"] },
    ],
  };
  const all = (v: Verdict) => ({ "c.low1": v, "c.low2": v, "c.med": v, "c.high": v });
  const cases: [string, Record<string, Verdict>, string, string[]][] = [
    ["everything passes", all("pass"), "high", []],
    ["everything not-applicable still reaches the top", all("not-applicable"), "high", []],
    ["a high provision fails", { ...all("pass"), "c.high": "fail" }, "medium", ["H1"]],
    ["a medium provision inconclusive", { ...all("pass"), "c.med": "inconclusive" }, "low", ["M1"]],
    ["a low provision fails", { ...all("pass"), "c.low2": "fail" }, "none", ["L2"]],
    ["both low provisions unmet are both named", { ...all("pass"), "c.low1": "error", "c.low2": "fail" }, "none", ["L1", "L2"]],
    ["a failure above does not matter once below is unmet", { ...all("pass"), "c.low1": "fail", "c.high": "fail" }, "none", ["L1"]],
    ["everything inconclusive", all("inconclusive"), "none", ["L1", "L2"]],
  ];
  it.each(cases)("%s", (_name, verdicts, level, heldBy) => {
    const g = grade(profile, new Map(Object.entries(verdicts)), device);
    expect(g.label.level).toBe(level);
    expect(g.label.heldBy).toEqual(heldBy);
    if (heldBy.length) expect(g.label.reason).toContain(heldBy[0]);
  });

  it("compares levels on the profile's scale with none at the bottom", () => {
    expect(meetsLevel(profile, "medium", "low")).toBe(true);
    expect(meetsLevel(profile, "low", "medium")).toBe(false);
    expect(meetsLevel(profile, "none", "low")).toBe(false);
    expect(meetsLevel(profile, "high", "high")).toBe(true);
  });
});
