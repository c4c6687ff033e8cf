// The ajv validator of each of our JSON Schemas. The build compiles them ahead of time into
// compiled/*.cjs beside the command line's bundle (scripts/compile-schemas.ts): loading ajv and
// compiling our schemas took longer than the rest of a short run's start. Running from the
// sources (the tests) there is no compiled/ folder, and the schemas are compiled here, with the
// same options.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Ajv2020, ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { packagePath } from "../core/paths.js";

export type { ErrorObject, ValidateFunction };
export type SchemaName = "descriptor" | "profile" | "report" | "attestations" | "form-logins";

export const SCHEMA_FILES: Record<SchemaName, string> = {
  descriptor: "device.schema.json",
  profile: "profile.schema.json",
  report: "report.schema.json",
  attestations: "attestations.schema.json",
  "form-logins": "form-logins.schema.json",
};

const require = createRequire(import.meta.url);
const validators = new Map<SchemaName, ValidateFunction>();
let ajv: Ajv2020 | undefined;

/** The ajv instance our schemas are compiled with, here or at build time. */
export function newAjv(options: { standalone?: boolean } = {}): Ajv2020 {
  const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;
  // validateSchema off: checking our own schemas against the 2020-12 meta-schema on every start
  // tripled the compile time; test/schema.test.ts checks them once instead.
  const instance = new Ajv2020({
    strict: true, allErrors: true, verbose: true, allowUnionTypes: true, validateSchema: false,
    ...(options.standalone ? { code: { source: true } } : {}),
  });
  addFormats(instance);
  // Annotation the schemas carry for error messages: what a valid value looks like.
  instance.addKeyword("x-expected");
  return instance;
}

export function readSchema(name: SchemaName): object {
  return JSON.parse(readFileSync(packagePath("harness", "schema", SCHEMA_FILES[name]), "utf8")) as object;
}

export function validatorFor(name: SchemaName): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    const compiled = new URL(`./compiled/${name}.cjs`, import.meta.url);
    if (existsSync(compiled)) {
      validate = require(fileURLToPath(compiled)) as ValidateFunction;
    } else {
      ajv ??= newAjv();
      validate = ajv.compile(readSchema(name));
    }
    validators.set(name, validate);
  }
  return validate;
}
