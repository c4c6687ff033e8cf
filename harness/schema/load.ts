// Loads device descriptors and profiles from YAML (or JSON) and validates them against the JSON
// Schemas beside this file, so a bad file stops a run before any packet is sent, with
// file:line:col, the field, and what was expected.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { InputTooLarge, readInputFile } from "../core/input-file.js";
import { checkPortSet } from "../core/ports.js";
import { extendProfile, extendsAFile } from "./profile-extends.js";
import type { Attestation, Descriptor, Profile, ProfileFile } from "./types.js";
import { validatorFor, type ErrorObject, type SchemaName } from "./validators.js";
import { packagePath } from "../core/paths.js";
import { closest, notAllowed } from "./did-you-mean.js";

export interface Issue {
  file: string;
  /** 1-based; 0 when the value did not come from a file (built in memory). */
  line: number;
  col: number;
  /** Dotted path to the field, like `network.tcpPorts` or `provisions[3].level`; "" for the whole document. */
  path: string;
  message: string;
}

export class ValidationError extends Error {
  override readonly name = "ValidationError";
  constructor(readonly issues: Issue[]) {
    super(issues.map(formatIssue).join("\n"));
  }

  /** One line per issue: `file:line:col: path: message`. */
  format(): string {
    return this.issues.map(formatIssue).join("\n");
  }
}

export function formatIssue(issue: Issue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export type DocumentKind = "descriptor" | "profile";

/** A file a run read, by path and content hash, so a report says exactly what it was given. */
export interface SourceFile {
  path: string;
  sha256: string;
}

/** How deep `extends` may chain; deeper is a mistake, or a cycle through copies. */
const MAX_EXTENDS_DEPTH = 8;
export type LoadedDocument = { kind: "descriptor"; value: Descriptor } | { kind: "profile"; value: Profile };

export async function loadDescriptor(file: string): Promise<Descriptor> {
  return (await loadDescriptorWithSource(file)).descriptor;
}

/** The descriptor and the hash of the file it came from. */
export async function loadDescriptorWithSource(file: string): Promise<{ descriptor: Descriptor; source: SourceFile }> {
  const parsed = await parseFile(file);
  if (kindOf(parsed.value) === "profile") {
    throw new ValidationError([{ file, line: 1, col: 1, path: "", message: 'expected a device descriptor, but this is a profile (it has "provisions")' }]);
  }
  assertValid(file, parsed, problemsOf("descriptor", parsed.value));
  return { descriptor: parsed.value as Descriptor, source: { path: file, sha256: parsed.sha256 } };
}

export async function loadProfile(file: string): Promise<Profile> {
  return (await loadProfileWithSources(file)).profile;
}

/** The profile with `extends` resolved, and every file it was made from (itself first, then its parents). */
export async function loadProfileWithSources(file: string, chain: string[] = []): Promise<{ profile: Profile; sources: SourceFile[] }> {
  const parsed = await parseFile(file);
  assertValid(file, parsed, problemsOf("profile", parsed.value, await shippedCheckIds()));
  const value = parsed.value as ProfileFile;
  const source: SourceFile = { path: file, sha256: parsed.sha256 };
  if (value.extends === undefined) return { profile: value as Profile, sources: [source] };

  const fail = (message: string): never => {
    throw new ValidationError([{ file, ...positionOf(parsed, { path: ["extends"], message }), path: "extends", message }]);
  };
  const parentFile = extendsAFile(value.extends) ? resolve(dirname(file), value.extends) : packagePath("profiles", `${value.extends}.yaml`);
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(value.extends) && !extendsAFile(value.extends)) fail(`expected a shipped profile's id or a file path, got ${describe(value.extends)}`);
  if (!existsSync(parentFile)) fail(`no profile ${extendsAFile(value.extends) ? "file" : "shipped with iotcert as"} ${describe(value.extends)} (looked for ${parentFile})`);
  const here = resolve(file);
  if ([...chain, here].includes(resolve(parentFile))) fail(`extends itself through ${[...chain, here].join(" → ")}`);
  if (chain.length >= MAX_EXTENDS_DEPTH) fail(`extends more than ${MAX_EXTENDS_DEPTH} profiles deep`);

  const parent = await loadProfileWithSources(parentFile, [...chain, here]);
  const { profile, problems } = extendProfile(parent.profile, value);
  assertValid(file, parsed, problems);
  return { profile, sources: [source, ...parent.sources] };
}

/** An attestation file's verdicts; it must be about `deviceId`. */
export async function loadAttestationFile(file: string, deviceId: string): Promise<Record<string, Attestation>> {
  return (await loadAttestationFileWithSource(file, deviceId)).attestations;
}

/** An attestation file: the device it is about, its verdicts and its hash; with `deviceId`, it must be about that device. */
export async function loadAttestationFileWithSource(file: string, deviceId?: string): Promise<{ device: string; attestations: Record<string, Attestation>; source: SourceFile }> {
  const parsed = await parseFile(file);
  assertValid(file, parsed, schemaProblems("attestations", parsed.value));
  const value = parsed.value as { device: string; attestations: Record<string, Attestation> };
  if (deviceId !== undefined && value.device !== deviceId) {
    assertValid(file, parsed, [{ path: ["device"], message: `these attestations are for "${value.device}", not for "${deviceId}"` }]);
  }
  return { ...value, source: { path: file, sha256: parsed.sha256 } };
}

/** Loads a descriptor or a profile, telling which by content: a profile has top-level `provisions` or `extends`. */
export async function loadDocument(file: string): Promise<LoadedDocument> {
  const parsed = await parseFile(file);
  const kind = kindOf(parsed.value);
  if (kind === "profile") return { kind, value: await loadProfile(file) };
  assertValid(file, parsed, problemsOf(kind, parsed.value));
  return { kind, value: parsed.value as Descriptor };
}

/** Validates a document built in memory (the demo's descriptors); issues carry no position. */
export function validateDocumentValue(kind: DocumentKind, value: unknown, file: string): Issue[] {
  return unplaced(file, problemsOf(kind, value));
}

/** Validates a report against report.schema.json, so the engine can assert its own output. */
export function validateReport(report: unknown): Issue[] {
  return unplaced("report.json", schemaProblems("report", report));
}

function unplaced(file: string, problems: Problem[]): Issue[] {
  return problems.map((p) => ({ file, line: 0, col: 0, path: pathText(p.path), message: p.message }));
}

// ---------------------------------------------------------------------------------------------
// Reading and parsing

export interface ParsedFile {
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
  /** Of the bytes read, hex. */
  sha256: string;
}

async function parseFile(file: string): Promise<ParsedFile> {
  let bytes: Buffer;
  try {
    bytes = await readInputFile(file);
  } catch (err) {
    if (err instanceof InputTooLarge) throw new ValidationError([{ file, line: 0, col: 0, path: "", message: err.reason }]);
    throw new ValidationError([{ file, line: 1, col: 1, path: "", message: (err as Error).message }]);
  }
  return parseBytes(file, bytes);
}

/** YAML (or JSON) with the position of every node; throws a ValidationError on a syntax error. */
export function parseBytes(file: string, bytes: Buffer): ParsedFile {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const text = bytes.toString("utf8");
  const lines = new LineCounter();
  // The core schema is forced even under a `%YAML 1.1` directive, so 2030-12-31 stays a string
  // and `on`/`yes` stay words instead of turning into dates and booleans.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, schema: "core", version: "1.2" });
  if (doc.errors.length > 0) {
    throw new ValidationError(
      sortIssues(doc.errors.map((e) => ({ file, ...lines.linePos(e.pos[0]), path: "", message: `YAML syntax: ${e.message}` }))),
    );
  }
  try {
    return { doc, lines, value: doc.toJS({ maxAliasCount: 100 }), sha256 };
  } catch (err) {
    // Unresolved aliases and alias bombs surface here rather than as parse errors.
    throw new ValidationError([{ file, line: 1, col: 1, path: "", message: `YAML: ${(err as Error).message}` }]);
  }
}

function kindOf(value: unknown): DocumentKind {
  return isRecord(value) && ("provisions" in value || "extends" in value) ? "profile" : "descriptor";
}

function assertValid(file: string, parsed: ParsedFile, problems: Problem[]): void {
  if (problems.length === 0) return;
  throw new ValidationError(placedIssues(file, parsed, problems));
}

/** Problems as issues at their line and column in the file, in file order. */
export function placedIssues(file: string, parsed: ParsedFile, problems: Problem[]): Issue[] {
  return sortIssues(problems.map((p) => ({ file, ...positionOf(parsed, p), path: pathText(p.path), message: p.message })));
}

function sortIssues(issues: Issue[]): Issue[] {
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}

// ---------------------------------------------------------------------------------------------
// Problems: what is wrong and where, as a path into the value

export type Segment = string | number;

export interface Problem {
  path: Segment[];
  /** Point at the key of the last segment rather than its value (unknown keys, missing keys). */
  atKey?: boolean;
  message: string;
}

/** `checkIds`: the checks a profile may name; without them (a descriptor) none are looked up. */
function problemsOf(kind: DocumentKind, value: unknown, checkIds?: ReadonlySet<string>): Problem[] {
  const fromSchema = schemaProblems(kind, value);
  const reported = new Set(fromSchema.map((p) => pathText(p.path)));
  // A field the schema already rejected would only be reported twice.
  const fromMeaning = (kind === "profile" ? [...profileProblems(value), ...checkIdProblems(value, checkIds)] : descriptorProblems(value)).filter(
    (p) => !reported.has(pathText(p.path)),
  );
  return [...fromSchema, ...fromMeaning];
}

/**
 * The ids of the checks iotcert ships. Imported only when a profile is loaded: the checks are
 * many modules, which a descriptor's validation need not pay for.
 */
async function shippedCheckIds(): Promise<ReadonlySet<string>> {
  const { ALL_CHECKS } = await import("../checks/index.js");
  return new Set(ALL_CHECKS.map((c) => c.id));
}

/** Each check id a provision or an override names that is not a check iotcert has. */
function checkIdProblems(value: unknown, known: ReadonlySet<string> | undefined): Problem[] {
  if (!known || !isRecord(value)) return [];
  const lists: { path: Segment[]; checks: unknown }[] = [];
  if (Array.isArray(value.provisions)) {
    value.provisions.forEach((p: unknown, i) => isRecord(p) && lists.push({ path: ["provisions", i, "checks"], checks: p.checks }));
  }
  if (isRecord(value.overrides)) {
    for (const [id, o] of Object.entries(value.overrides)) if (isRecord(o)) lists.push({ path: ["overrides", id, "checks"], checks: o.checks });
  }
  const ids = [...known];
  return lists.flatMap(({ path, checks }) =>
    (Array.isArray(checks) ? checks : []).flatMap((id: unknown, j) => {
      if (typeof id !== "string" || known.has(id)) return [];
      const suggestion = closest(id, ids);
      const hint = suggestion === undefined ? "`iotcert checks` lists them" : `did you mean ${JSON.stringify(suggestion)}?`;
      return [{ path: [...path, j], message: `unknown check ${JSON.stringify(id)} (${hint})` }];
    }),
  );
}

/** Checks a schema cannot express: port numbers inside strings. */
function descriptorProblems(value: unknown): Problem[] {
  const problems: Problem[] = [];
  if (!isRecord(value)) return problems;
  const network = value.network;
  for (const key of ["tcpPorts", "udpPorts"]) {
    const set = isRecord(network) ? network[key] : undefined;
    const message = typeof set === "string" ? portSetError(set) : undefined;
    if (message) problems.push({ path: ["network", key], message });
  }
  const declared = value.declared;
  if (isRecord(declared) && Array.isArray(declared.openPorts)) {
    declared.openPorts.forEach((entry: unknown, i) => {
      const port = typeof entry === "string" ? /^(\d+)\//.exec(entry)?.[1] : undefined;
      const message = port === undefined ? undefined : portSetError([Number(port)]);
      if (message) problems.push({ path: ["declared", "openPorts", i], message });
    });
  }
  // A form elsewhere would be refused by the scope guard mid-run; say so before anything is sent
  const address = isRecord(network) && typeof network.address === "string" ? network.address : undefined;
  if (Array.isArray(value.loginForms)) {
    value.loginForms.forEach((form: unknown, i) => {
      const url = isRecord(form) && typeof form.url === "string" ? urlOrUndefined(form.url) : undefined;
      if (!url || !/^https?:$/.test(url.protocol)) return;
      const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
      if (host !== address) problems.push({ path: ["loginForms", i, "url"], message: `must be on the unit's address ${address ?? "(network.address is not set)"}, not ${host}` });
    });
  }
  return problems;
}

function urlOrUndefined(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function portSetError(set: string | number[]): string | undefined {
  try {
    checkPortSet(set);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Checks across fields: each provision's level is a declared level, and ids are unique. */
function profileProblems(value: unknown): Problem[] {
  const problems: Problem[] = [];
  if (!isRecord(value) || !Array.isArray(value.provisions)) return problems;
  const levels = Array.isArray(value.levels) ? value.levels.filter((l): l is string => typeof l === "string") : [];
  const firstIndex = new Map<string, number>();
  value.provisions.forEach((provision: unknown, i) => {
    if (!isRecord(provision)) return;
    const { id, level } = provision;
    if (typeof level === "string" && levels.length > 0 && !levels.includes(level)) {
      problems.push({ path: ["provisions", i, "level"], message: notAllowed(`unknown level ${JSON.stringify(level)}`, level, levels) });
    }
    if (typeof id !== "string") return;
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, i);
    else problems.push({ path: ["provisions", i, "id"], message: `duplicate provision id ${JSON.stringify(id)} (also provisions[${first}].id)` });
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema validation with ajv, errors turned into sentences

export function schemaProblems(name: SchemaName, value: unknown): Problem[] {
  const validate = validatorFor(name);
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  const failedAnyOf = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").map((e) => `${e.schemaPath}/`);
  return errors
    // `if` only says its then/else failed, which has its own error; the branches of a failed
    // anyOf or oneOf are summed up by its own message.
    .filter((e) => e.keyword !== "if" && !failedAnyOf.some((prefix) => e.schemaPath.startsWith(prefix)))
    .map((e) => problemFrom(e, segmentsOf(e.instancePath, value)));
}

function problemFrom(e: ErrorObject, path: Segment[]): Problem {
  const expected = (e.parentSchema as { "x-expected"?: string } | undefined)?.["x-expected"];
  const got = describe(e.data);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return { path: [...path, key], atKey: true, message: notAllowed(`unknown key ${JSON.stringify(key)}`, key, allowed) };
    }
    case "dependentRequired":
      return { path: [...path, String(params.property)], atKey: true, message: `only makes sense with "${String(params.missingProperty)}"` };
    case "required":
      return { path, atKey: true, message: `missing required key "${String(params.missingProperty)}"` };
    case "type":
      // On a mapping, x-expected describes what it must contain, which does not help someone who
      // wrote a list or a word instead.
      return expected && params.type !== "object"
        ? { path, message: `expected ${expected}, got ${got}` }
        : { path, message: `expected ${typeNames(params.type)}, got ${got}${quoteHint(params.type, e.data)}` };
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(String);
      return { path, message: notAllowed(`${got} is not allowed`, String(e.data), allowed) };
    }
    case "const":
      return { path, message: `expected ${describe(params.allowedValue)}, got ${got}` };
    case "pattern":
      return { path, message: `expected ${expected ?? `text matching /${String(params.pattern)}/`}, got ${got}` };
    case "format":
      return { path, message: `expected ${FORMATS[String(params.format)] ?? `a valid ${String(params.format)}`}, got ${got}` };
    case "anyOf":
    case "oneOf": {
      const forms = expected ?? "one of the allowed forms";
      return { path, message: isRecord(e.data) ? `must have ${forms}` : `expected ${forms}, got ${got}` };
    }
    case "minimum":
    case "maximum":
      return { path, message: `must be ${String(params.comparison)} ${String(params.limit)}, got ${got}` };
    case "minProperties":
    case "maxProperties":
      return { path, message: expected ? `must have ${expected}` : `must have ${params.limit === 1 && e.keyword === "minProperties" ? "a key" : `${e.keyword === "minProperties" ? "at least" : "at most"} ${String(params.limit)} keys`}` };
    case "minItems":
      return { path, message: params.limit === 1 ? "must not be empty" : `must have at least ${String(params.limit)} items` };
    case "minLength":
      return { path, message: params.limit === 1 ? "must not be empty" : `must be at least ${String(params.limit)} characters` };
    case "maxLength":
      return { path, message: `must be at most ${String(params.limit)} characters` };
    case "uniqueItems": {
      const [first, again] = [Number(params.j), Number(params.i)].sort((a, b) => a - b) as [number, number];
      const item = (e.data as unknown[])[again];
      return { path: [...path, again], message: `${describe(item)} is listed twice (also ${pathText([...path, first])})` };
    }
    case "x-regex":
      return { path, message: `expected a JavaScript regular expression that compiles: ${regexError(String(e.data), String(e.schema))}` };
    default:
      return { path, message: e.message ?? `fails ${e.keyword}` };
  }
}

/** Why `source` does not compile, as JavaScript says it ("Unterminated group"), without the pattern repeated. */
function regexError(source: string, flags: string): string {
  try {
    new RegExp(source, flags);
  } catch (err) {
    const message = (err as Error).message;
    return message.slice(message.lastIndexOf(": ") + 2);
  }
  return "it does not compile with flags " + JSON.stringify(flags);
}

const FORMATS: Record<string, string> = {
  uri: "an absolute URL like https://acme.example/path",
  date: "a date like 2030-12-31",
  "date-time": "a date and time like 2030-12-31T23:59:59Z",
  ipv4: "an IPv4 address",
  ipv6: "an IPv6 address",
  hostname: "a host name",
};

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  null: "nothing",
};

function typeNames(type: unknown): string {
  const types = Array.isArray(type) ? type : String(type).split(",");
  return types.map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(" or ");
}

/** YAML reads unquoted 1.10 as the number 1.1 and true as a boolean; say how to keep the text. */
function quoteHint(type: unknown, data: unknown): string {
  const wantsString = type === "string" || (Array.isArray(type) && type.includes("string"));
  return wantsString && (typeof data === "number" || typeof data === "boolean") ? " (put it in quotes to keep it as text)" : "";
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "a list" : "a mapping";
}

// ---------------------------------------------------------------------------------------------
// Paths and positions

/** JSON pointer → path segments, with array indices as numbers (they print as `[3]`). */
function segmentsOf(pointer: string, root: unknown): Segment[] {
  if (pointer === "") return [];
  let current = root;
  return pointer
    .slice(1)
    .split("/")
    .map((raw) => {
      const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      const segment: Segment = Array.isArray(current) ? Number(key) : key;
      current = isRecord(current) || Array.isArray(current) ? (current as Record<Segment, unknown>)[segment] : undefined;
      return segment;
    });
}

function pathText(path: Segment[]): string {
  return path
    .map((s, i) => {
      if (typeof s === "number") return `[${s}]`;
      if (!/^[A-Za-z_][\w-]*$/.test(s)) return `[${JSON.stringify(s)}]`;
      return i === 0 ? s : `.${s}`;
    })
    .join("");
}

/** Where a problem is in the file: its node, or the deepest node of its path that exists. */
function positionOf(parsed: ParsedFile, problem: Problem): { line: number; col: number } {
  const { doc, lines } = parsed;
  let node: unknown = doc.contents;
  let key: Node | undefined;
  for (const segment of problem.path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
      if (!pair) break;
      key = pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
      key = undefined;
      node = node.items[segment];
    } else {
      break;
    }
  }
  const target = (problem.atKey ? key : undefined) ?? (node as Node | null | undefined);
  const offset = target?.range?.[0];
  return offset === undefined ? { line: 1, col: 1 } : lines.linePos(offset);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
