// `extends:` in profiles: inherit another profile's provisions, rename its levels, move or change
// single provisions, add new ones; mistakes point at the line of the extending file.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grade } from "../harness/grading/grade.js";
import { packagePath } from "../harness/core/paths.js";
import { loadDocument, loadProfile, loadProfileWithSources, ValidationError, type Issue } from "../harness/schema/load.js";
import type { Descriptor } from "../harness/schema/types.js";

const BASE = `id: base
title: Base scheme
levels: [low, medium, high]
provisions:
  - { id: "A-1", title: No default passwords, level: low, checks: [credentials.default-passwords] }
  - { id: "A-2", title: Disclosure policy, level: medium, attestation: true }
  - { id: "A-3", title: Few open ports, level: high, checks: [surface.undeclared-ports] }
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotcert-extends-"));
  await writeFile(join(dir, "base.yaml"), BASE);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fixture(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

async function issuesOf(file: string): Promise<string[]> {
  try {
    await loadProfile(file);
  } catch (err) {
    if (err instanceof ValidationError) return err.issues.map((i: Issue) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

const DEVICE: Descriptor = { id: "d", vendor: "V", model: "M", firmware: "1", attestations: { "A-2": { verdict: "pass" } } };

describe("a profile that extends another", () => {
  it("inherits provisions, renames levels, moves one provision and adds its own", async () => {
    const file = await fixture("national.yaml", `id: national
title: A national label
extends: ./base.yaml
levels: [bronze, silver, gold]
levelMap: { low: bronze, medium: silver, high: gold }
overrides:
  "A-3": { level: silver }
provisions:
  - { id: "N-1", title: Lab interview, level: gold, attestation: true }
`);
    const { profile, sources } = await loadProfileWithSources(file);
    expect(profile.extends).toBe("base");
    expect(profile.levels).toEqual(["bronze", "silver", "gold"]);
    expect(profile.provisions.map((p) => [p.id, p.level])).toEqual([["A-1", "bronze"], ["A-2", "silver"], ["A-3", "silver"], ["N-1", "gold"]]);
    expect(profile.provisions[0]!.checks).toEqual(["credentials.default-passwords"]);
    // Both files are recorded with the hash of their bytes, the extending one first
    expect(sources).toEqual([
      { path: file, sha256: createHash("sha256").update(readFileSync(file)).digest("hex") },
      { path: join(dir, "base.yaml"), sha256: createHash("sha256").update(BASE).digest("hex") },
    ]);

    // The move matters for grading: A-3 failing now holds the label at bronze, not at silver
    const verdicts = new Map([["credentials.default-passwords", "pass"], ["surface.undeclared-ports", "fail"]] as const);
    const graded = grade(profile, verdicts, DEVICE);
    expect(graded.label).toMatchObject({ level: "bronze", heldBy: ["A-3"] });
  });

  it("keeps the parent's levels when it names none, and can extend a shipped profile by id", async () => {
    const file = await fixture("stricter.yaml", `id: stricter-etsi
title: ETSI with the debug port at low
extends: etsi-en-303-645
overrides:
  "5.6-4": { level: low, title: Debug interfaces off }
`);
    const profile = await loadProfile(file);
    const shipped = await loadProfile(packagePath("profiles", "etsi-en-303-645.yaml"));
    expect(profile.levels).toEqual(shipped.levels);
    expect(profile.provisions).toHaveLength(shipped.provisions.length);
    expect(profile.provisions.find((p) => p.id === "5.6-4")).toMatchObject({ level: "low", title: "Debug interfaces off" });
    // validate tells it is a profile although it has no provisions of its own
    expect((await loadDocument(file)).kind).toBe("profile");
  });

  it("chains: a profile extending one that extends another", async () => {
    await fixture("middle.yaml", `id: middle\ntitle: M\nextends: base.yaml\noverrides:\n  "A-1": { title: Renamed }\n`);
    const top = await fixture("top.yaml", `id: top\ntitle: T\nextends: middle.yaml\noverrides:\n  "A-1": { level: high }\n`);
    const { profile, sources } = await loadProfileWithSources(top);
    expect(profile.provisions[0]).toMatchObject({ id: "A-1", title: "Renamed", level: "high" });
    expect(sources.map((s) => s.path)).toEqual([top, join(dir, "middle.yaml"), join(dir, "base.yaml")]);
  });
});

describe("mistakes in an extending profile", () => {
  const cases: { name: string; yaml: string; expected: string[] }[] = [
    {
      name: "new levels without mapping the inherited ones",
      yaml: "id: x\ntitle: X\nextends: base.yaml\nlevels: [one, two]\n",
      expected: [
        '4:9 levels: inherited provision A-1 is at level "low", which this profile does not have: map it in levelMap or move it in overrides',
        '4:9 levels: inherited provision A-2 is at level "medium", which this profile does not have: map it in levelMap or move it in overrides',
        '4:9 levels: inherited provision A-3 is at level "high", which this profile does not have: map it in levelMap or move it in overrides',
      ],
    },
    {
      name: "override of a provision the parent lacks",
      yaml: 'id: x\ntitle: X\nextends: base.yaml\noverrides:\n  "A-9": { level: low }\n',
      expected: ['5:3 overrides.A-9: base has no provision "A-9"'],
    },
    {
      name: "override to a level that does not exist",
      yaml: 'id: x\ntitle: X\nextends: base.yaml\noverrides:\n  "A-1": { level: extreme }\n',
      expected: ['5:19 overrides.A-1.level: "extreme" is not one of this profile\'s levels (low, medium, high)'],
    },
    {
      name: "levelMap from a level the parent lacks",
      yaml: "id: x\ntitle: X\nextends: base.yaml\nlevels: [low, medium, high]\nlevelMap: { lowest: low }\n",
      expected: ['5:13 levelMap.lowest: base has no level "lowest" (its levels: low, medium, high)'],
    },
    {
      name: "a provision that redefines an inherited one",
      yaml: "id: x\ntitle: X\nextends: base.yaml\nprovisions:\n  - { id: A-1, title: t, level: low, attestation: true }\n",
      expected: ['5:11 provisions[0].id: "A-1" is inherited from base; change it under overrides'],
    },
    {
      name: "a parent that does not exist",
      yaml: "id: x\ntitle: X\nextends: no-such-scheme\n",
      expected: [expect.stringMatching(/^3:10 extends: no profile shipped with iotcert as "no-such-scheme"/) as unknown as string],
    },
    {
      name: "an override naming a check that does not exist",
      yaml: 'id: x\ntitle: X\nextends: base.yaml\noverrides:\n  "A-3":\n    checks: [surface.undeclared-ports, surface.tcp-port]\n',
      expected: ['6:40 overrides.A-3.checks[1]: unknown check "surface.tcp-port" (did you mean "surface.tcp-ports"?)'],
    },
    {
      name: "levelMap without extends",
      yaml: "id: x\ntitle: X\nlevels: [low]\nlevelMap: { a: low }\nprovisions:\n  - { id: '1', title: t, level: low, attestation: true }\n",
      expected: ['4:1 levelMap: only makes sense with "extends"'],
    },
    {
      name: "no extends and no provisions",
      yaml: "id: x\ntitle: X\nlevels: [low]\n",
      expected: ['1:1 : missing required key "provisions"'],
    },
  ];

  it.each(cases)("$name", async ({ name, yaml, expected }) => {
    expect(await issuesOf(await fixture(`${name.replace(/\W+/g, "-")}.yaml`, yaml))).toEqual(expected);
  });

  it("points into the parent's file at a parent's unknown check, not into the child's", async () => {
    const parent = await fixture("typo-parent.yaml", BASE.replace("checks: [surface.undeclared-ports]", "checks: [surface.undeclared-port]"));
    const child = await fixture("typo-child.yaml", "id: x\ntitle: X\nextends: typo-parent.yaml\n");
    const error = await loadProfile(child).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).format()).toBe(`${parent}:7:63: provisions[2].checks[0]: unknown check "surface.undeclared-port" (did you mean "surface.undeclared-ports"?)`);
  });

  it("refuses a cycle", async () => {
    await fixture("loop-a.yaml", "id: a\ntitle: A\nextends: loop-b.yaml\n");
    const b = await fixture("loop-b.yaml", "id: b\ntitle: B\nextends: loop-a.yaml\n");
    const issues = await issuesOf(b);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/extends: extends itself through .*loop-b\.yaml → .*loop-a\.yaml/);
  });
});
