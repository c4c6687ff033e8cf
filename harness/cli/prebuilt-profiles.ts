// The shipped profiles as the build left them (scripts/compile-profiles.ts): parsed, checked and
// extended once, beside the command line's bundle. Reading the YAML and checking it against the
// schema took a tenth of a short run's start. A prebuilt profile is used only while every file
// it was made from still has the sha256 it had; otherwise, and when running from the sources,
// the YAML is loaded as always.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packagePath } from "../core/paths.js";
import type { SourceFile } from "../schema/load.js";
import type { Profile } from "../schema/types.js";

/** What the build writes for each shipped profile: the files it came from (package-relative), and the result. */
export interface PrebuiltProfile {
  sources: { file: string; sha256: string }[];
  profile: Profile;
}

export const PREBUILT_DIR = fileURLToPath(new URL("./profiles/", import.meta.url));

export function prebuiltProfile(id: string, dir = PREBUILT_DIR): { profile: Profile; sources: SourceFile[] } | undefined {
  const file = join(dir, `${id}.json`);
  if (!existsSync(file)) return undefined;
  const built = JSON.parse(readFileSync(file, "utf8")) as PrebuiltProfile;
  const sources = built.sources.map((s) => ({ path: packagePath(s.file), sha256: s.sha256 }));
  const unchanged = sources.every((s) => existsSync(s.path) && createHash("sha256").update(readFileSync(s.path)).digest("hex") === s.sha256);
  return unchanged ? { profile: built.profile, sources } : undefined;
}
