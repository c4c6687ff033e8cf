// Build step: compile the JSON Schemas of harness/schema, and of harness/schema/data for the data
// files, into standalone validators beside the command line's bundle (dist/cli/compiled/*.cjs and
// compiled/data/*.cjs), so it starts without loading ajv's compiler.
// Run after scripts/bundle.mjs; see harness/schema/validators.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { newAjv, readSchema, schemaNames } from "../harness/schema/validators.js";

const standaloneCode = createRequire(import.meta.url)("ajv/dist/standalone").default as (ajv: unknown, validate: unknown) => string;
const out = new URL("../dist/cli/compiled/", import.meta.url);
mkdirSync(new URL("data/", out), { recursive: true });
for (const name of schemaNames()) {
  const ajv = newAjv({ standalone: true });
  writeFileSync(new URL(`${name}.cjs`, out), standaloneCode(ajv, ajv.compile(readSchema(name))));
}
