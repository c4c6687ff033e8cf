import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prebuiltProfile, type PrebuiltProfile } from "../harness/cli/prebuilt-profiles.js";
import { packagePath } from "../harness/core/paths.js";
import { loadProfileWithSources } from "../harness/schema/load.js";

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** A folder of prebuilt profiles holding one, made from sg-cls.yaml (which extends ETSI) as the build would. */
async function prebuiltDir(edit: (built: PrebuiltProfile) => void = () => {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "iotcert-prebuilt-"));
  const { profile, sources } = await loadProfileWithSources(packagePath("profiles", "sg-cls.yaml"));
  const built: PrebuiltProfile = { sources: sources.map((s) => ({ file: s.path.slice(packagePath().length + 1), sha256: s.sha256 })), profile };
  edit(built);
  writeFileSync(join(dir, "sg-cls.json"), JSON.stringify(built));
  return dir;
}

describe("prebuilt profiles", () => {
  it("gives the profile and its sources as loading the YAML would, while every source is unchanged", async () => {
    const fromYaml = await loadProfileWithSources(packagePath("profiles", "sg-cls.yaml"));
    const prebuilt = prebuiltProfile("sg-cls", await prebuiltDir());
    expect(prebuilt).toEqual(fromYaml);
    expect(prebuilt!.sources.map((s) => s.sha256)).toEqual([sha256(packagePath("profiles", "sg-cls.yaml")), sha256(packagePath("profiles", "etsi-en-303-645.yaml"))]);
  });

  it("is not used once a file it was made from has changed, nor where the build left none", async () => {
    const stale = await prebuiltDir((built) => {
      built.sources[1]!.sha256 = "0".repeat(64);
    });
    expect(prebuiltProfile("sg-cls", stale)).toBeUndefined();
    expect(prebuiltProfile("uk-psti", stale)).toBeUndefined();
  });
});
