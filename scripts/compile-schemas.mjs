// Build step: compile the JSON Schemas of harness/schema into standalone validators beside the
// built validators.js (dist/harness/schema/compiled/*.cjs), so the command line starts without
// loading ajv's compiler. Run after tsc; see harness/schema/validators.ts.
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { SCHEMA_FILES, newAjv, readSchema } from "../dist/harness/schema/validators.js";

const standaloneCode = createRequire(import.meta.url)("ajv/dist/standalone").default;
const out = new URL("../dist/harness/schema/compiled/", import.meta.url);
mkdirSync(out, { recursive: true });
for (const name of Object.keys(SCHEMA_FILES)) {
  const ajv = newAjv({ standalone: true });
  writeFileSync(new URL(`${name}.cjs`, out), standaloneCode(ajv, ajv.compile(readSchema(name))));
}
