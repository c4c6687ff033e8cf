// Build step: compile the JSON Schemas of harness/schema into standalone validators beside the
// command line's bundle (dist/cli/compiled/*.cjs), so it starts without loading ajv's compiler.
// Run after scripts/bundle.mjs; see harness/schema/validators.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { SCHEMA_FILES, newAjv, readSchema, type SchemaName } from "../harness/schema/validators.js";

const standaloneCode = createRequire(import.meta.url)("ajv/dist/standalone").default as (ajv: unknown, validate: unknown) => string;
const out = new URL("../dist/cli/compiled/", import.meta.url);
mkdirSync(out, { recursive: true });
for (const name of Object.keys(SCHEMA_FILES) as SchemaName[]) {
  const ajv = newAjv({ standalone: true });
  writeFileSync(new URL(`${name}.cjs`, out), standaloneCode(ajv, ajv.compile(readSchema(name))));
}
