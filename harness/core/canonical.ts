// The canonical form of a JSON value (RFC 8785, JSON Canonicalization Scheme): what report
// signatures and the hashes of in-memory inputs are computed over, so that whitespace, key order
// and number spelling do not change them.
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

/** RFC 8785 text of `value`; throws on what JSON cannot hold (undefined, functions, NaN). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("not a JSON value");
  return text;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
