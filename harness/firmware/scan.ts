// Searches one file of an unpacked firmware image, a chunk at a time (memory stays bounded), for
// private keys — PEM, and DER PKCS#1 / PKCS#8 / SEC1 confirmed by node:crypto parsing them — tokens
// (harness/data/firmware-secrets.yaml names the patterns) and component version strings.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { open } from "node:fs/promises";
import { loadData } from "../core/data.js";

export interface TextPattern {
  id: string;
  title: string;
  key: string;
  regex: string;
  caseSensitive?: boolean;
  group: number;
}

export interface Component {
  name: string;
  regex: string;
  minimum: string;
  why: string;
}

export interface FoundKey {
  /** sha256 of the public key (SPKI DER), hex: the same key found twice is one key. */
  fingerprint: string;
  /** "rsa 2048", "ec prime256v1", "ed25519" */
  type: string;
  encoding: "pem" | "der";
  encrypted: boolean;
  /** The key as found, PEM text or DER in base64. */
  material: string;
}

export interface FoundToken {
  pattern: TextPattern;
  value: string;
}

export interface FoundVersion {
  component: Component;
  version: string;
}

export interface FileFindings {
  keys: FoundKey[];
  tokens: FoundToken[];
  versions: FoundVersion[];
}

const CHUNK = 1024 * 1024;
/** Chunks overlap by this much, so a key or string cut by a chunk boundary is read whole once. */
const OVERLAP = 64 * 1024;
const PEM_KEY = /-----BEGIN ((?:[A-Z0-9]{1,16} ){0,3})PRIVATE KEY-----[\s\S]{1,16384}?-----END \1PRIVATE KEY-----/g;
/** SEQUENCE, length, INTEGER version 0 or 1, then what PKCS#8 (SEQUENCE), PKCS#1 (INTEGER) or SEC1 (OCTET STRING) put next. */
const DER_KEY_START = /\x30(?:\x82[\s\S]{2}|\x81[\s\S]|[\x20-\x7f])\x02\x01([\x00\x01])(\x30|\x02|\x04)/g;
const MAX_PER_FILE = 50;

interface Patterns {
  tokens: TextPattern[];
  components: Component[];
}

let patterns: Patterns | undefined;
function loadPatterns(): Patterns {
  if (!patterns) {
    const wanted = new Set(loadData<{ textPatterns: string[] }>("firmware-secrets.yaml").textPatterns);
    const all = loadData<{ patterns: TextPattern[] }>("boot-log-secrets.yaml").patterns;
    patterns = { tokens: all.filter((p) => wanted.has(p.id)), components: loadData<{ components: Component[] }>("firmware-components.yaml").components };
  }
  return patterns;
}

function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "rsa") return `rsa ${d?.modulusLength ?? "?"}`;
  if (key.asymmetricKeyType === "ec") return `ec ${d?.namedCurve ?? "?"}`;
  return key.asymmetricKeyType ?? "unknown";
}

function fingerprint(key: KeyObject): string {
  return createHash("sha256").update(createPublicKey(key).export({ type: "spki", format: "der" })).digest("hex");
}

function pemKey(text: string): FoundKey | undefined {
  if (/ENCRYPTED/.test(text.slice(0, 64))) {
    return { fingerprint: createHash("sha256").update(text).digest("hex"), type: "encrypted", encoding: "pem", encrypted: true, material: text };
  }
  try {
    const key = createPrivateKey({ key: text, format: "pem" });
    return { fingerprint: fingerprint(key), type: describeKey(key), encoding: "pem", encrypted: false, material: text };
  } catch {
    // Armour around something that is not a key (a template, a truncated copy): not a finding
    return undefined;
  }
}

/** A DER private key starting at `at` in `buf`, confirmed by parsing it. */
function derKey(buf: Buffer, at: number, version: number, next: number): FoundKey | undefined {
  const lenByte = buf[at + 1]!;
  const [header, length] = lenByte === 0x82 ? [4, buf.readUInt16BE(at + 2)] : lenByte === 0x81 ? [3, buf[at + 2]!] : [2, lenByte];
  const end = at + header + length;
  if (end > buf.length || length < 32) return undefined;
  const der = buf.subarray(at, end);
  const types: ("pkcs8" | "pkcs1" | "sec1")[] = version === 0 && next === 0x30 ? ["pkcs8"] : version === 0 && next === 0x02 ? ["pkcs1"] : version === 1 && next === 0x04 ? ["sec1"] : [];
  for (const type of types) {
    try {
      const key = createPrivateKey({ key: der, format: "der", type });
      return { fingerprint: fingerprint(key), type: describeKey(key), encoding: "der", encrypted: false, material: der.toString("base64") };
    } catch {
      // Bytes that only look like the start of a key
    }
  }
  return undefined;
}

/** Search `file` chunk by chunk; stops early on `signal`. At most `maxBytes` of it are read. */
export async function scanFile(file: string, maxBytes: number, signal: AbortSignal): Promise<FileFindings> {
  const { tokens, components } = loadPatterns();
  const found: FileFindings = { keys: [], tokens: [], versions: [] };
  const seen = new Set<string>();
  const add = <T>(list: T[], id: string, item: T | undefined) => {
    if (!item || seen.has(id) || list.length >= MAX_PER_FILE) return;
    seen.add(id);
    list.push(item);
  };
  const tokenRegexes = tokens.map((p) => ({ p, re: new RegExp(p.regex, p.caseSensitive ? "g" : "gi") }));
  const componentRegexes = components.map((c) => ({ c, re: new RegExp(c.regex, "g") }));

  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(CHUNK + OVERLAP);
    for (let pos = 0; pos < maxBytes; pos += CHUNK) {
      if (signal.aborted) throw signal.reason;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, maxBytes - pos), pos);
      if (bytesRead === 0) break;
      const view = buf.subarray(0, bytesRead);
      const text = view.toString("latin1");
      for (const m of text.matchAll(PEM_KEY)) add(found.keys, `pem:${m.index! + pos}`, pemKey(m[0]));
      for (const m of text.matchAll(DER_KEY_START)) {
        const key = derKey(view, m.index!, m[1]!.charCodeAt(0), m[2]!.charCodeAt(0));
        if (key) add(found.keys, `key:${key.fingerprint}`, key);
      }
      for (const { p, re } of tokenRegexes) {
        for (const m of text.matchAll(re)) {
          const value = m[p.group];
          if (value) add(found.tokens, `token:${value}`, { pattern: p, value });
        }
      }
      for (const { c, re } of componentRegexes) {
        for (const m of text.matchAll(re)) add(found.versions, `v:${c.name}:${m[1]}`, { component: c, version: m[1]! });
      }
      if (bytesRead < buf.length) break;
    }
  } finally {
    await fh.close();
  }
  // The same PEM key seen in two overlapping chunks is one key
  found.keys = found.keys.filter((k, i) => found.keys.findIndex((o) => o.fingerprint === k.fingerprint) === i);
  return found;
}
