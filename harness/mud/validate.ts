// Is this a valid MUD file? Reads the bytes (bounded, strict UTF-8 JSON), checks them against the
// JSON Schema, then against the rules a schema cannot say, and answers with every reason, one line
// each, so a manufacturer can fix them all at once.
import type { MudFile } from "./model.js";
import { mudRules } from "./rules.js";
import { schemaProblems, type MudProblem } from "./schema.js";

/** MUD files are a few kilobytes; anything this large is not one. */
export const MAX_MUD_BYTES = 256 * 1024;
/** Reasons listed one by one; a hostile file could otherwise have one per member. */
const MAX_REASONS = 100;

export interface MudValidation {
  /** The file, when it parsed and the schema accepted it (the rules may still have found problems). */
  mud?: MudFile;
  /** Each makes the file invalid: "path: message". */
  problems: string[];
  /** Findings that leave the file valid (is-supported false, an ACL no policy uses). */
  notes: string[];
}

export function validateMud(bytes: Uint8Array, opts: { url?: string; now?: Date } = {}): MudValidation {
  if (bytes.length > MAX_MUD_BYTES) return invalid(`is larger than ${MAX_MUD_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return invalid("is not UTF-8 text (RFC 8259 JSON is UTF-8)");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return invalid(`is not JSON: ${(err as Error).message}`);
  }
  const fromSchema = schemaProblems(value);
  if (fromSchema.length > 0) return { problems: bounded(fromSchema), notes: [] };
  const mud = value as MudFile;
  const { problems, notes } = mudRules(mud, { now: opts.now ?? new Date(), ...(opts.url === undefined ? {} : { url: opts.url }) });
  return { mud, problems: bounded(problems), notes: bounded(notes) };
}

function bounded(problems: MudProblem[]): string[] {
  const lines = problems.slice(0, MAX_REASONS).map(line);
  if (problems.length > MAX_REASONS) lines.push(`… and ${problems.length - MAX_REASONS} more`);
  return lines;
}

function invalid(why: string): MudValidation {
  return { problems: [`the file ${why}`], notes: [] };
}

function line(p: MudProblem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}
