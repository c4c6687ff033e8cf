// Build step: every shipped profile loaded, checked and extended once, written as JSON beside the
// command line's bundle (dist/cli/profiles/<id>.json) with the sha256 of each file it came from.
// See harness/cli/prebuilt-profiles.ts. Run after scripts/bundle.mjs.
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { PrebuiltProfile } from "../harness/cli/prebuilt-profiles.js";
import { shippedProfileFiles } from "../harness/cli/profiles-source.js";
import { PACKAGE_ROOT } from "../harness/core/paths.js";
import { loadProfileWithSources } from "../harness/schema/load.js";

const out = fileURLToPath(new URL("../dist/cli/profiles/", import.meta.url));
mkdirSync(out, { recursive: true });
for (const file of shippedProfileFiles()) {
  const { profile, sources } = await loadProfileWithSources(file);
  const built: PrebuiltProfile = { sources: sources.map((s) => ({ file: relative(PACKAGE_ROOT, s.path), sha256: s.sha256 })), profile };
  writeFileSync(join(out, `${basename(file, ".yaml")}.json`), JSON.stringify(built));
}
