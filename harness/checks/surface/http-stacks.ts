// Web stacks and their management endpoints, from harness/data/http-management.yaml: which GETs to
// send, and what the answers say (the product and its version; which endpoints answered a client
// with no credentials). Pure: the service identification sends the requests.
import { isDeepStrictEqual } from "node:util";
import { loadData } from "../../core/data.js";
import type { OpenManagement } from "../../core/facts.js";
import type { Severity } from "../../core/types.js";

export interface StackRequest {
  id: string;
  path: string;
  headers?: Record<string, string>;
}

/** What a device answered to one request. */
export interface StackAnswer {
  status: number;
  body: Buffer;
}

interface Matcher {
  request?: string;
  requests?: string[];
  status?: number;
  json?: { keys?: string[]; equals?: unknown };
  body?: string;
  notBody?: string;
}

interface ProductRule extends Matcher {
  product: string;
  version?: { json?: string };
}

interface ManagementRule {
  id: string;
  product?: string;
  capability: OpenManagement["capability"];
  severity: Severity;
  title: string;
  all: Matcher[];
}

interface StackData {
  requests: Record<string, { path: string; headers?: Record<string, string> }>;
  products: ProductRule[];
  management: ManagementRule[];
}

const data = () => loadData<StackData>("http-management.yaml");

/** A version as a device states it, kept only when it looks like one ("4.1.15", "2.0.18-git"). */
const VERSION = /^[0-9][\w.+~-]{0,63}$/;

export function stackRequests(): StackRequest[] {
  return Object.entries(data().requests).map(([id, r]) => ({ id, ...r }));
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The ids of the matcher's requests whose answers match it. */
function matching(m: Matcher, answers: ReadonlyMap<string, StackAnswer>): string[] {
  const ids = m.requests ?? (m.request ? [m.request] : []);
  return ids.filter((id) => {
    const a = answers.get(id);
    if (!a || a.status !== (m.status ?? 200)) return false;
    if (m.json) {
      const value = parseJson(a.body);
      if (value === undefined) return false;
      if (m.json.keys && !(isObject(value) && m.json.keys.every((k) => Object.hasOwn(value, k)))) return false;
      if (m.json.equals !== undefined && !isDeepStrictEqual(value, m.json.equals)) return false;
    }
    const text = m.body || m.notBody ? a.body.toString("latin1") : "";
    if (m.body && !new RegExp(m.body, "i").test(text)) return false;
    if (m.notBody && new RegExp(m.notBody, "i").test(text)) return false;
    return true;
  });
}

function versionOf(rule: ProductRule, answers: ReadonlyMap<string, StackAnswer>): string | undefined {
  const key = rule.version?.json;
  const a = rule.request ? answers.get(rule.request) : undefined;
  if (!key || !a) return undefined;
  const value = parseJson(a.body);
  const v = isObject(value) ? value[key] : undefined;
  return typeof v === "string" && VERSION.test(v) ? v : undefined;
}

/** The product the answers name, with its version where one of them states it. */
export function recogniseProduct(answers: ReadonlyMap<string, StackAnswer>): string | undefined {
  let named: string | undefined;
  for (const rule of data().products) {
    if (!matching(rule, answers).length) continue;
    const version = versionOf(rule, answers);
    if (version) return `${rule.product} ${version}`;
    named ??= rule.product;
  }
  return named;
}

/** The management endpoints that answered without credentials: for each product, its first rule that matches. */
export function openManagement(answers: ReadonlyMap<string, StackAnswer>, pathOf: (request: string) => string): OpenManagement[] {
  const found: OpenManagement[] = [];
  const reported = new Set<string>();
  for (const rule of data().management) {
    if (rule.product && reported.has(rule.product)) continue;
    const hits = rule.all.map((m) => matching(m, answers));
    if (hits.some((h) => h.length === 0)) continue;
    if (rule.product) reported.add(rule.product);
    found.push({
      rule: rule.id,
      ...(rule.product ? { product: rule.product } : {}),
      capability: rule.capability,
      severity: rule.severity,
      title: rule.title,
      paths: [...new Set(hits.flat().map(pathOf))],
    });
  }
  return found;
}
