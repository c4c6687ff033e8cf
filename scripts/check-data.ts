// Build step: every file under harness/data checked against its schema and rules (see
// harness/schema/data-files.ts); the build fails, with file:line:col, on one that is broken or
// that no schema knows. The hashes of the YAML files checked are written beside the compiled
// validators, so the command line does not check the same bytes again. Run after compile-schemas.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { packagePath, PACKAGE_ROOT } from "../harness/core/paths.js";
import { shippedDataFiles, validateDataFile, VALIDATED_HASHES } from "../harness/schema/data-files.js";
import { formatIssue } from "../harness/schema/load.js";

const problems: string[] = [];
const hashes: Record<string, string> = {};
for (const { file, what } of shippedDataFiles()) {
  const shown = relative(PACKAGE_ROOT, file);
  if (!what) {
    problems.push(`${shown}: no schema: add harness/schema/data/<name>.schema.json for it`);
    continue;
  }
  problems.push(...(await validateDataFile(shown, what)).map(formatIssue));
  if (what.kind === "yaml") hashes[relative(packagePath("harness", "data"), file)] = createHash("sha256").update(readFileSync(file)).digest("hex");
}
if (problems.length > 0) {
  process.stderr.write(`${problems.join("\n")}\n`);
  process.exit(1);
}
writeFileSync(packagePath("dist", "cli", VALIDATED_HASHES), `${JSON.stringify(hashes, null, 2)}\n`);
