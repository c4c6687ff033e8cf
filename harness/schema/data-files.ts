// The knowledge under harness/data, checked before it is used, so a misspelt key or a pattern that
// does not compile stops with file:line:col instead of silently switching a check's knowledge off.
// A YAML file is checked against its schema, harness/schema/data/<name>.schema.json, then against
// the rules of data-rules.ts; a credential list (credentials/*.csv) by credential-lists.ts, and its
// source must be named in SOURCES.md beside it. loadData checks a file as it reads it, unless the
// build checked these very bytes (VALIDATED_HASHES).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { packagePath } from "../core/paths.js";
import { readCredentialList } from "./credential-lists.js";
import { DATA_RULES, type DataSibling } from "./data-rules.js";
import { parseBytes, placedIssues, schemaProblems, ValidationError, type Issue, type ParsedFile } from "./load.js";
import { schemaFile, type DataSchema } from "./validators.js";

/** Written by the build beside the compiled validators: the sha256 of each YAML data file it checked, by name. */
export const VALIDATED_HASHES = "compiled/data/validated.json";

export type DataFile = { kind: "yaml"; schema: DataSchema } | { kind: "credentials"; name: string };

/** What `file` is by its name: one of harness/data's files, or an edited copy of one. */
export function dataFileOf(file: string): DataFile | undefined {
  const base = basename(file);
  if (base.endsWith(".csv")) {
    const isList = basename(dirname(file)) === "credentials" || existsSync(packagePath("harness", "data", "credentials", base));
    return isList ? { kind: "credentials", name: base } : undefined;
  }
  const name = base.replace(/\.yaml$/, "");
  return name !== base && existsSync(schemaFile(`data/${name}`)) ? { kind: "yaml", schema: `data/${name}` } : undefined;
}

/** Every file under harness/data (or `root`) but SOURCES.md, with what it is: undefined when no schema or checker knows it. */
export function shippedDataFiles(root = packagePath("harness", "data")): { file: string; what: DataFile | undefined }[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== "SOURCES.md")
    .map((e) => join(e.parentPath, e.name))
    .sort()
    .map((file) => ({ file, what: dataFileOf(file) }));
}

/** What is wrong with a parsed YAML data file; `sibling` gives the other data files its rules refer to. */
export function dataIssues(file: string, schema: DataSchema, parsed: ParsedFile, sibling: DataSibling): Issue[] {
  const fromSchema = schemaProblems(schema, parsed.value);
  // The rules read the value as its schema describes it
  const problems = fromSchema.length > 0 ? fromSchema : (DATA_RULES[schema.slice("data/".length)]?.(parsed.value as never, sibling) ?? []);
  return placedIssues(file, parsed, problems);
}

function checkDataFile(file: string, what: DataFile, bytes: Buffer, sibling: DataSibling): Issue[] {
  if (what.kind === "credentials") return readCredentialList(file, bytes.toString("utf8")).issues;
  try {
    return dataIssues(file, what.schema, parseBytes(file, bytes), sibling);
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
}

/**
 * Checks a data file on disk (`iotcert validate`, the build, the tests). The files its rules refer
 * to are read from beside it, else from harness/data; a credential list's SOURCES.md likewise.
 */
export async function validateDataFile(file: string, what: DataFile): Promise<Issue[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    return [{ file, line: 1, col: 1, path: "", message: (err as Error).message }];
  }
  const besideOrShipped = (...parts: string[]) => {
    const beside = join(dirname(file), parts.at(-1)!);
    return existsSync(beside) ? beside : packagePath("harness", "data", ...parts);
  };
  const sibling: DataSibling = (name) => {
    const path = besideOrShipped(name);
    try {
      return parseBytes(path, readFileSync(path)).value;
    } catch {
      // Its own validation reports what is wrong with it
      return undefined;
    }
  };
  const issues = checkDataFile(file, what, bytes, sibling);
  if (what.kind === "credentials" && !namesSource(besideOrShipped("credentials", "SOURCES.md"), what.name)) {
    issues.push({ file, line: 1, col: 1, path: "", message: `SOURCES.md beside it has no section "## ${what.name}": say where the list comes from, its licence and how it was made` });
  }
  return issues;
}

function namesSource(sources: string, list: string): boolean {
  return existsSync(sources) && readFileSync(sources, "utf8").split("\n").some((line) => line.trim() === `## ${list}`);
}
