// Profiles by id (shipped under profiles/) or by file path.
import { existsSync, readdirSync } from "node:fs";
import { loadProfileWithSources, type SourceFile } from "../schema/load.js";
import { packagePath } from "../core/paths.js";
import type { Profile } from "../schema/types.js";
import { BadInput } from "./io.js";
import { prebuiltProfile } from "./prebuilt-profiles.js";

export const DEFAULT_PROFILE = "etsi-en-303-645";

export function shippedProfileFiles(): string[] {
  const dir = packagePath("profiles");
  return readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort().map((f) => packagePath("profiles", f));
}

/** A path that exists is read as a file; anything else is a shipped profile's id. */
export async function resolveProfile(idOrFile: string): Promise<Profile> {
  return (await resolveProfileWithSources(idOrFile)).profile;
}

/** The profile and the files it was made from (itself, then what it extends), hashed. */
export async function resolveProfileWithSources(idOrFile: string): Promise<{ profile: Profile; sources: SourceFile[] }> {
  if (existsSync(idOrFile)) return loadProfileWithSources(idOrFile);
  const shipped = packagePath("profiles", `${idOrFile}.yaml`);
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(idOrFile) || !existsSync(shipped)) {
    const ids = shippedProfileFiles().map((f) => f.replace(/^.*\/|\.yaml$/g, ""));
    throw new BadInput(`no profile file or shipped profile named "${idOrFile}" (shipped: ${ids.join(", ")})`);
  }
  return prebuiltProfile(idOrFile) ?? loadProfileWithSources(shipped);
}
