// Knowledge kept as data under harness/data (credential lists, fragile ports, …), read once and
// checked as it is read (harness/schema/data-files.ts), so a broken file stops with file:line:col
// instead of silently switching a check's knowledge off. The build checked the files it shipped
// and recorded their hashes: a file with the same bytes is not checked again, which keeps a run's
// start as fast as before; one edited since is.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dataIssues, VALIDATED_HASHES } from "../schema/data-files.js";
import { parseBytes, ValidationError } from "../schema/load.js";
import { packagePath } from "./paths.js";

const cache = new Map<string, unknown>();
let validatedAtBuild: Record<string, string> | undefined;

/** Parse and check harness/data/<name> (YAML) once per process. */
export function loadData<T>(name: string): T {
  if (!cache.has(name)) {
    const file = packagePath("harness", "data", name);
    const parsed = parseBytes(file, readFileSync(file));
    if (buildHashes()[name] !== parsed.sha256) {
      const issues = dataIssues(file, `data/${name.replace(/\.yaml$/, "")}`, parsed, loadData);
      if (issues.length > 0) throw new ValidationError(issues);
    }
    cache.set(name, parsed.value);
  }
  return cache.get(name) as T;
}

/** Read harness/data/<name> as text once per process (CSV lists). */
export function loadDataText(name: string): string {
  const key = `text:${name}`;
  if (!cache.has(key)) cache.set(key, readFileSync(packagePath("harness", "data", name), "utf8"));
  return cache.get(key) as string;
}

// Beside the bundle (dist/cli); running from the sources there is none, and every file is checked
function buildHashes(): Record<string, string> {
  if (!validatedAtBuild) {
    const path = fileURLToPath(new URL(`./${VALIDATED_HASHES}`, import.meta.url));
    validatedAtBuild = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, string>) : {};
  }
  return validatedAtBuild;
}
