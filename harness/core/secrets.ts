// Secrets in text a device gave away (a boot log, an MQTT payload): private keys, passwords,
// Wi-Fi keys, tokens, by the patterns of harness/data/boot-log-secrets.yaml.
import { escapeBytes } from "../transports/tcp.js";
import { loadData } from "./data.js";
import type { Severity } from "./types.js";

export interface SecretPattern {
  id: string;
  title: string;
  severity: Severity;
  /** Evidence key, one of harness/data/secret-keys.yaml. */
  key: string;
  regex: string;
  caseSensitive?: boolean;
  group: number;
}

interface SecretData {
  patterns: SecretPattern[];
  placeholders: string;
}

export interface Leak {
  pattern: SecretPattern;
  value: string;
  line: number;
  /** The line it was printed on, the secret replaced by [secret]. */
  context: string;
}

const CONTEXT_CHARS = 160;
/** A text that holds more secrets than this has made its point; a hostile one is not searched on. */
const MAX_LEAKS = 50;

const escape = (text: string, max: number) => escapeBytes(Buffer.from(text, "latin1"), max);

export function findSecrets(text: string): Leak[] {
  const { patterns, placeholders } = loadData<SecretData>("boot-log-secrets.yaml");
  const placeholder = new RegExp(placeholders, "i");
  const seen = new Set<string>();
  const leaks: Leak[] = [];
  /** Where the line of each leak starts in the text. */
  const lineStarts: number[] = [];
  for (const pattern of patterns) {
    for (const match of text.matchAll(new RegExp(pattern.regex, pattern.caseSensitive ? "g" : "gi"))) {
      if (leaks.length >= MAX_LEAKS) return leaks;
      const value = match[pattern.group];
      // Patterns overlap ("wifi_password=" is a Wi-Fi key and a password): the first in the file names it
      if (!value || placeholder.test(value) || seen.has(value)) continue;
      const start = text.lastIndexOf("\n", match.index) + 1;
      // and a looser one finds a word of a passphrase that a stricter one found whole on that line
      if (leaks.some((l, i) => lineStarts[i] === start && l.value.includes(value))) continue;
      seen.add(value);
      lineStarts.push(start);
      const lineEnd = text.indexOf("\n", match.index);
      const lineText = text.slice(start, lineEnd < 0 ? undefined : lineEnd).replace(/\r$/, "");
      leaks.push({
        pattern,
        value,
        line: text.slice(0, match.index).split("\n").length,
        context: escape(lineText.split(value).join("[secret]"), CONTEXT_CHARS),
      });
    }
  }
  return leaks;
}
