// Validates a parsed MUD file against harness/schema/mud.schema.json with ajv (JSON Schema 2020-12
// and ajv-formats, as the descriptor and profile schemas are) and words each error as one line:
// the path into the document, then what was expected.
import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { packagePath } from "../core/paths.js";

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (!validator) {
    // Extension members are namespace-qualified ("module:name"), and so are some the schema names
    // ("ietf-mud:mud" in matches): those match both, and their own schema still applies.
    const ajv = new Ajv2020({ strict: true, allErrors: true, verbose: true, allowUnionTypes: true, allowMatchingProperties: true });
    addFormatsModule.default(ajv);
    // Annotation the schema carries for error messages: what a valid value looks like.
    ajv.addKeyword("x-expected");
    validator = ajv.compile(JSON.parse(readFileSync(packagePath("harness", "schema", "mud.schema.json"), "utf8")) as object);
  }
  return validator;
}

/** A problem at a place in the document: `path` is dotted, like `ietf-mud:mud.cache-validity` or `…acl[0].name`. */
export interface MudProblem {
  path: string;
  message: string;
}

export function schemaProblems(value: unknown): MudProblem[] {
  const check = validate();
  if (check(value)) return [];
  const errors = check.errors ?? [];
  // A failed anyOf is worded once, by its own x-expected, not by each branch.
  const failedAnyOf = errors.filter((e) => e.keyword === "anyOf").map((e) => `${e.schemaPath}/`);
  return errors.filter((e) => !failedAnyOf.some((prefix) => e.schemaPath.startsWith(prefix))).map(wording);
}

function wording(e: ErrorObject): MudProblem {
  const path = pathOf(e.instancePath);
  const expected = (e.parentSchema as { "x-expected"?: string } | undefined)?.["x-expected"];
  const got = describe(e.data);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      // RFC 8520 adds direction-initiated to TCP matches only: a connection has an initiator, a datagram has not.
      const why = key === "ietf-mud:direction-initiated" ? " (direction-initiated applies only to TCP)" : "";
      return { path: join(path, key), message: `unknown member ${JSON.stringify(key)}${why}` };
    }
    case "required":
      return { path, message: `missing required member "${String(params.missingProperty)}"` };
    case "type":
      return { path, message: `expected ${expected ?? typeName(params.type)}, got ${got}` };
    case "const":
      return { path, message: `expected ${JSON.stringify(params.allowedValue)}, got ${got}` };
    case "enum":
      return { path, message: `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, got ${got}` };
    case "pattern":
    case "anyOf":
      return { path, message: `expected ${expected ?? `text matching /${String(params.pattern)}/`}, got ${got}` };
    case "format":
      return { path, message: `expected ${FORMATS[String(params.format)] ?? `a valid ${String(params.format)}`}, got ${got}` };
    case "minimum":
    case "maximum":
      return { path, message: `must be ${String(params.comparison)} ${String(params.limit)}, got ${got}` };
    case "minLength":
    case "maxLength":
      return { path, message: `must be ${e.keyword === "minLength" ? "at least" : "at most"} ${String(params.limit)} characters` };
    case "minItems":
    case "maxItems":
      return { path, message: `expected ${expected ?? `${e.keyword === "minItems" ? "at least" : "at most"} ${String(params.limit)} items`}` };
    case "uniqueItems":
      return { path, message: `lists ${describe((e.data as unknown[])[Number(params.i)])} twice` };
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

const FORMATS: Record<string, string> = {
  uri: "an absolute URI like https://example.com/mud/device.json",
  "date-time": "a date and time with its offset, like 2025-01-31T12:00:00+00:00",
};

const TYPE_NAMES: Record<string, string> = {
  string: "a string", integer: "a whole number", number: "a number", boolean: "true or false",
  array: "a list", object: "an object", null: "null",
};

function typeName(type: unknown): string {
  return (Array.isArray(type) ? type : String(type).split(",")).map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(" or ");
}

/** A value from the file, quoted and cut short: it may be long or hostile. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "a list" : "an object";
}

/** JSON pointer → `a.b[0].c`. */
function pathOf(pointer: string): string {
  if (pointer === "") return "";
  return pointer.slice(1).split("/").reduce((path, raw) => {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    return /^\d+$/.test(key) ? `${path}[${key}]` : join(path, key);
  }, "");
}

/** `path.key`, with a key from the file cut short: member names are the file's, and may be long. */
export function join(path: string, key: string): string {
  const k = key.length > 60 ? `${key.slice(0, 57)}...` : key;
  return path ? `${path}.${k}` : k;
}
