// What the data files must satisfy beyond their schemas: ids that are unique, capture groups the
// code reads that exist, names that refer to another data file and must be found there, port
// ranges that parse. Run on a value its schema accepted, so its shape is known. A file without
// rules here needs none beyond its schema.
import { checkPortSet } from "../core/ports.js";
import type { Problem, Segment } from "./load.js";

/** Another data file's value, by name ("boot-log-secrets.yaml"), for the rules that refer to it. */
export type DataSibling = (name: string) => unknown;

type Rules = (value: never, sibling: DataSibling) => Problem[];

interface Pattern {
  id: string;
  key: string;
  regex: string;
  group: number;
  title: string;
  severity: string;
}

/** By the data file's base name, as its schema is named. */
export const DATA_RULES: Record<string, Rules> = {
  "ble-control-points": (v: { controlPoints: { uuid: string }[] }) => unique(v.controlPoints, "uuid", ["controlPoints"]),

  "ble-personal-data": (v: { characteristics: { uuid: string }[]; textPatterns: { id: string }[] }) => [
    ...unique(v.characteristics, "uuid", ["characteristics"]),
    ...unique(v.textPatterns, "id", ["textPatterns"]),
  ],

  "boot-log-secrets": (v: { patterns: Pattern[] }, sibling) => {
    // --redact matches keys as reports/redact.ts does: ignoring case, "-" and "_"
    const normal = (key: string) => key.toLowerCase().replace(/[-_]/g, "");
    const secretKeys = new Set(listOf(sibling("secret-keys.yaml"), "keys").filter((k) => typeof k === "string").map(normal));
    return [
      ...formsAgree(v.patterns),
      ...v.patterns.flatMap((p, i): Problem[] => {
        const problems: Problem[] = [];
        if (!secretKeys.has(normal(p.key))) problems.push({ path: ["patterns", i, "key"], message: `"${p.key}" is not a key of secret-keys.yaml, so --redact would not hide the secret` });
        const groups = captureGroups(p.regex);
        if (p.group > groups) problems.push({ path: ["patterns", i, "group"], message: `the regex has ${groups} capture group${groups === 1 ? "" : "s"}, so group ${p.group} never holds the secret` });
        return problems;
      }),
    ];
  },

  "bruteforce-protection": (v: { attempts: number; minAnswered: number; window: number }) => [
    ...(v.minAnswered < 2 * v.window ? [{ path: ["minAnswered"], message: `must be at least twice window (${2 * v.window}): the baseline and the end are ${v.window} answers each` }] : []),
    ...(v.attempts < v.minAnswered ? [{ path: ["attempts"], message: `must be at least minAnswered (${v.minAnswered}), or no series is ever judged` }] : []),
  ],

  "coap-sensitive-resources": (v: { resources: { id: string }[] }) => unique(v.resources, "id", ["resources"]),

  "debug-services": (v: { services: { name: string }[] }) => unique(v.services, "name", ["services"]),

  "firmware-components": (v: { components: { name: string; regex: string }[] }) => [
    ...unique(v.components, "name", ["components"]),
    ...v.components.flatMap((c, i) => (captureGroups(c.regex) < 1 ? [{ path: ["components", i, "regex"], message: "needs a capture group: group 1 is the version" }] : [])),
  ],

  "firmware-secrets": (v: { textPatterns: string[] }, sibling) => {
    const ids = new Set(listOf(sibling("boot-log-secrets.yaml"), "patterns").map((p) => (isRecord(p) ? p.id : undefined)));
    return v.textPatterns.flatMap((id, i) => (ids.has(id) ? [] : [{ path: ["textPatterns", i], message: `"${id}" is not the id of a pattern in boot-log-secrets.yaml` }]));
  },

  "fragile-ports": (v: { ports: { range: string }[] }) =>
    v.ports.flatMap((p, i) => {
      try {
        checkPortSet(p.range);
        return [];
      } catch (err) {
        return [{ path: ["ports", i, "range"], message: (err as Error).message }];
      }
    }),

  "service-probes": (v: { probes: { name: string }[] }) => unique(v.probes, "name", ["probes"]),

  "tls-weak-ciphers": (v: { families: { id: string; suites: { code: number }[] }[] }) => {
    const seen = new Map<number, string>();
    return [
      ...unique(v.families, "id", ["families"]),
      ...v.families.flatMap((f, i) =>
        f.suites.flatMap((s, j) => {
          const where = `families[${i}].suites[${j}]`;
          const first = seen.get(s.code);
          if (first === undefined) seen.set(s.code, where);
          return first === undefined ? [] : [{ path: ["families", i, "suites", j, "code"], message: `suite 0x${s.code.toString(16).padStart(4, "0")} is listed twice (also ${first})` }];
        }),
      ),
    ];
  },

  "udp-amplification": (v: { default: number; high: number; services: Record<string, number> }, sibling) => {
    const services = new Set(listOf(sibling("udp-probes.yaml"), "probes").map((p) => (isRecord(p) ? p.service : undefined)));
    return [
      ...(v.high <= v.default ? [{ path: ["high"], message: `must be above default (${v.default})` }] : []),
      ...Object.keys(v.services).flatMap((name) => (services.has(name) ? [] : [{ path: ["services", name], atKey: true, message: `"${name}" is not the service of a probe in udp-probes.yaml` }])),
    ];
  },

  "udp-probes": (v: { probes: { service: string; product?: { regex: string } }[] }) => [
    ...unique(v.probes, "service", ["probes"]),
    ...(v.probes.some((p) => p.service === "dtls") ? [] : [{ path: ["probes"], message: 'needs the "dtls" probe: coap.dtls sends its ClientHello' }]),
    ...v.probes.flatMap((p, i) =>
      p.product && !hasNamedGroup(p.product.regex, "product") ? [{ path: ["probes", i, "product", "regex"], message: 'needs a named group "product": (?<product>…)' }] : [],
    ),
  ],
};

/**
 * Patterns sharing an id are forms of one secret (a Wi-Fi key as wpa_supplicant and as hostapd
 * write it): they must say the same of it, or a finding's title would depend on which form matched.
 */
function formsAgree(patterns: Pattern[]): Problem[] {
  const first = new Map<string, number>();
  return patterns.flatMap((p, i): Problem[] => {
    const seen = first.get(p.id);
    if (seen === undefined) {
      first.set(p.id, i);
      return [];
    }
    const f = patterns[seen]!;
    const differs = (["title", "key", "severity"] as const).filter((k) => f[k] !== p[k]);
    return differs.length ? [{ path: ["patterns", i, "id"], message: `"${p.id}" is also patterns[${seen}], whose ${differs.join(", ")} ${differs.length === 1 ? "differs" : "differ"}: forms of one secret must agree` }] : [];
  });
}

/** Each item's `key` once; the second of a pair is reported. */
function unique<K extends string>(items: Record<K, string>[], key: K, path: Segment[]): Problem[] {
  const first = new Map<string, number>();
  return items.flatMap((item, i) => {
    const seen = first.get(item[key]);
    if (seen === undefined) first.set(item[key], i);
    return seen === undefined ? [] : [{ path: [...path, i, key], message: `${JSON.stringify(item[key])} is listed twice (also ${path.join(".")}[${seen}])` }];
  });
}

// A regex with an empty alternative added matches "" with every group present, unset
const emptyMatch = (source: string) => new RegExp(`${source}|`).exec("")!;
const captureGroups = (source: string) => emptyMatch(source).length - 1;
const hasNamedGroup = (source: string, name: string) => name in (emptyMatch(source).groups ?? {});

/** `value[key]` when it is a list: another file's, which its own validation vouches for. */
function listOf(value: unknown, key: string): unknown[] {
  const list = isRecord(value) ? value[key] : undefined;
  return Array.isArray(list) ? list : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
