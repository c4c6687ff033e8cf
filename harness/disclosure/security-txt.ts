// Reads a security.txt file (RFC 9116) and says what is wrong with it. No library on npm parses
// RFC 9116 with its field rules and the cleartext signature framing (RFC 4880 section 7), so the
// grammar is written here; it is line-based and small.

export interface SecurityTxtProblem {
  /** required: Contact or Expires is missing, wrong or expired; field: a malformed field; advice: a SHOULD. */
  kind: "required" | "field" | "advice";
  text: string;
}

export interface SecurityTxt {
  fields: { name: string; value: string; line: number }[];
  contacts: string[];
  expires?: string;
  /** The file is wrapped in an OpenPGP cleartext signature (not verified: that needs the signer's key). */
  signed: boolean;
  problems: SecurityTxtProblem[];
}

const FIELD = /^([A-Za-z0-9-]{1,64}):[ \t]*(.*?)[ \t]*$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
const ONE_YEAR_MS = 366 * 24 * 3600 * 1000;
/** Fields whose value is a URI, and the schemes RFC 9116 allows for each (web URIs must be https). */
const URI_FIELDS: Record<string, string[]> = {
  contact: ["https:", "mailto:", "tel:"],
  encryption: ["https:", "dns:", "openpgp4fpr:"],
  acknowledgments: ["https:"],
  canonical: ["https:"],
  policy: ["https:"],
  hiring: ["https:"],
  csaf: ["https:"],
};
const ONCE = new Set(["expires", "preferred-languages"]);

/** The signed text of an OpenPGP cleartext-signed message, or a reason it is broken. */
function unwrapSigned(lines: string[]): { body: string[] } | { broken: string } {
  // Armor headers ("Hash: SHA512") run to the first blank line
  let i = 1;
  while (i < lines.length && lines[i] !== "") i++;
  if (i >= lines.length) return { broken: "the PGP signed message has no blank line after its armor headers" };
  const sigStart = lines.indexOf("-----BEGIN PGP SIGNATURE-----", i);
  if (sigStart < 0) return { broken: "the PGP signed message has no signature block" };
  if (!lines.slice(sigStart).includes("-----END PGP SIGNATURE-----")) return { broken: "the PGP signature block is not closed" };
  const body = lines.slice(i + 1, sigStart).map((l) => (l.startsWith("- ") ? l.slice(2) : l));
  return { body };
}

export function parseSecurityTxt(text: string, opts: { url: string; now: Date }): SecurityTxt {
  const problems: SecurityTxtProblem[] = [];
  let lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let signed = false;
  if (lines[0] === "-----BEGIN PGP SIGNED MESSAGE-----") {
    signed = true;
    const unwrapped = unwrapSigned(lines);
    if ("broken" in unwrapped) {
      problems.push({ kind: "field", text: unwrapped.broken });
      lines = [];
    } else {
      lines = unwrapped.body;
    }
  } else if (lines.some((l) => l.startsWith("-----BEGIN PGP"))) {
    problems.push({ kind: "field", text: "PGP armor in the middle of the file: a signed file must start with -----BEGIN PGP SIGNED MESSAGE-----" });
  }

  const fields: SecurityTxt["fields"] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = FIELD.exec(line);
    if (!m) {
      problems.push({ kind: "field", text: `line ${i + 1} is neither a field ("Name: value") nor a comment` });
      return;
    }
    fields.push({ name: m[1]!, value: m[2]!, line: i + 1 });
  });

  const named = (name: string) => fields.filter((f) => f.name.toLowerCase() === name);
  for (const once of ONCE) {
    if (named(once).length > 1) problems.push({ kind: once === "expires" ? "required" : "field", text: `${once} appears ${named(once).length} times; it must appear at most once` });
  }
  for (const f of fields) {
    const schemes = URI_FIELDS[f.name.toLowerCase()];
    if (!schemes) continue;
    let scheme: string;
    try {
      scheme = new URL(f.value).protocol;
    } catch {
      problems.push({ kind: f.name.toLowerCase() === "contact" ? "required" : "field", text: `${f.name} on line ${f.line} is not a URI` });
      continue;
    }
    if (!schemes.includes(scheme)) {
      problems.push({ kind: f.name.toLowerCase() === "contact" ? "required" : "field", text: `${f.name} on line ${f.line} uses ${scheme.replace(/:$/, "")}:, not ${schemes.map((s) => s.replace(/:$/, "")).join(", ")}` });
    }
  }
  for (const f of named("preferred-languages")) {
    const bad = f.value.split(",").map((s) => s.trim()).filter((tag) => !LANGUAGE_TAG.test(tag));
    if (bad.length) problems.push({ kind: "field", text: `Preferred-Languages on line ${f.line} has a value that is not a language tag` });
  }

  const contacts = named("contact").map((f) => f.value);
  if (contacts.length === 0) problems.push({ kind: "required", text: "no Contact field" });

  const expiresField = named("expires")[0];
  if (!expiresField) {
    problems.push({ kind: "required", text: "no Expires field" });
  } else if (!DATE_TIME.test(expiresField.value) || Number.isNaN(Date.parse(expiresField.value))) {
    problems.push({ kind: "required", text: `Expires on line ${expiresField.line} is not an RFC 3339 date and time` });
  } else {
    const expires = Date.parse(expiresField.value);
    if (expires <= opts.now.getTime()) problems.push({ kind: "required", text: "the file has expired (Expires is in the past)" });
    else if (expires - opts.now.getTime() > ONE_YEAR_MS) problems.push({ kind: "advice", text: "Expires is more than a year ahead (RFC 9116 recommends less)" });
  }

  const canonical = named("canonical").map((f) => f.value);
  if (canonical.length > 0 && !canonical.includes(opts.url)) {
    problems.push({ kind: "advice", text: "the file was fetched from a URL its Canonical fields do not list" });
  }
  return { fields, contacts, ...(expiresField ? { expires: expiresField.value } : {}), signed, problems };
}
