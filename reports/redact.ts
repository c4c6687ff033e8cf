// `--redact`: a copy of the report fit for publication, without the secrets a device gave away.
// A secret is found once, under a key of harness/data/secret-keys.yaml in some evidence, and is
// then hidden wherever it appears as text: in another finding's context line, a transcript, a
// payload sample, a summary, a banner (one payload often carries several secrets, and each
// finding names only its own). The same values are hidden in run.log (redactLogFile).
import { readFile } from "node:fs/promises";
import { loadData } from "../harness/core/data.js";
import type { Report } from "../harness/core/report.js";
import { escapeBytes } from "../harness/transports/tcp.js";
import { writeFileAtomic } from "./atomic.js";

const REDACTED = "[redacted]";
/**
 * Shorter values are hidden under their key only: "ab" or "1" as text would be found in every
 * other word and number of the report, and a secret that short is guessed faster than read.
 */
const MIN_TEXT_LENGTH = 4;

// Case, "-" and "_" differ between checks and protocols (api_key, API-Key); the list names each
// secret once.
function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

let secretKeys: Set<string> | undefined;

export function isSecretKey(key: string): boolean {
  secretKeys ??= new Set(loadData<{ keys: string[] }>("secret-keys.yaml").keys.map(normalize));
  return secretKeys.has(normalize(key));
}

/** Objects of data (JSON, log fields) are walked; an Error or a Buffer is left whole. */
const isPlain = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/** A copy of `value` with every value under a secret key, at any depth, replaced by "[redacted]". */
export function redactKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactKeys);
  if (isPlain(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, isSecretKey(key) ? REDACTED : redactKeys(inner)]));
  }
  return value;
}

/** Every text and number under a secret key, at any depth of `value`. */
function collect(value: unknown, underSecret: boolean, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collect(v, underSecret, into);
  } else if (isPlain(value)) {
    for (const [key, inner] of Object.entries(value)) collect(inner, underSecret || isSecretKey(key), into);
  } else if (underSecret && (typeof value === "string" || typeof value === "number")) {
    into.add(String(value));
  }
}

/**
 * The ways a secret's text shows in a report or a log: as found; as device bytes are escaped
 * for display (a backslash or a control byte in it becomes \xNN); escaped as inside a JSON
 * string (a payload sample of JSON text); URL-encoded; and whole in base64, as a payload or a
 * header may carry it.
 */
function spellings(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  return [
    secret,
    escapeBytes(bytes, bytes.length),
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    bytes.toString("base64"),
    bytes.toString("base64").replace(/=+$/, ""),
    bytes.toString("base64url"),
  ];
}

/** The secrets found anywhere in the report's evidence, each in every spelling, longest first. */
export function secretsOf(report: Pick<Report, "findings" | "checks">): string[] {
  const found = new Set<string>();
  for (const item of [...report.findings, ...report.checks]) collect(item.evidence, false, found);
  const texts = new Set([...found].filter((s) => s.length >= MIN_TEXT_LENGTH && s !== REDACTED).flatMap(spellings));
  // Longest first: a secret that contains another is replaced whole
  return [...texts].filter((s) => s.length >= MIN_TEXT_LENGTH).sort((a, b) => b.length - a.length);
}

export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** A copy of `value` with secret keys redacted and every known secret replaced inside its texts. */
function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets));
  if (isPlain(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, isSecretKey(key) ? REDACTED : redactDeep(inner, secrets)]));
  }
  return value;
}

/**
 * A deep copy of the report with every secret hidden: values under secret keys in any evidence,
 * and the secrets' text wherever the device's words are shown (titles, summaries, reasons,
 * evidence, banners and products, certificate fields). Identifiers, verdicts and the audit
 * record are left as they are: a password that happens to be "pass" must not rewrite a verdict.
 */
export function redactReport(report: Report): Report {
  const secrets = secretsOf(report);
  const copy = structuredClone(report);
  const text = (s: string) => redactText(s, secrets);
  for (const f of copy.findings) {
    f.title = text(f.title);
    if (f.evidence) f.evidence = redactDeep(f.evidence, secrets) as Record<string, unknown>;
  }
  for (const c of copy.checks) {
    c.summary = text(c.summary);
    if (c.evidence) c.evidence = redactDeep(c.evidence, secrets) as Record<string, unknown>;
  }
  for (const p of copy.provisions) p.reason = text(p.reason);
  copy.label.reason = text(copy.label.reason);
  if (copy.incompleteReason !== undefined) copy.incompleteReason = text(copy.incompleteReason);
  copy.surface = redactDeep(copy.surface, secrets) as Report["surface"];
  copy.redacted = true;
  return copy;
}

/**
 * Rewrite run.log (pino NDJSON) with every string of every record passed through the redactor:
 * what the logger's key redaction could not know during the run (a secret inside a message or a
 * transcript) is hidden once the report has named the secrets. A line that is not JSON is
 * redacted as text.
 */
export async function redactLogFile(file: string, secrets: readonly string[]): Promise<void> {
  const lines = (await readFile(file, "utf8")).split("\n");
  const redacted = lines.map((line) => {
    if (!line) return line;
    try {
      return JSON.stringify(redactDeep(JSON.parse(line), secrets));
    } catch {
      return redactText(line, secrets);
    }
  });
  await writeFileAtomic(file, redacted.join("\n"));
}
