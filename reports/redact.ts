// `--redact`: a copy of the report fit for publication, without the secrets a device gave away.
import { loadData } from "../harness/core/data.js";
import type { Report } from "../harness/core/report.js";

const REDACTED = "[redacted]";

// Case, "-" and "_" differ between checks and protocols (api_key, API-Key); the list names each
// secret once.
function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

let secretKeys: Set<string> | undefined;

function isSecretKey(key: string): boolean {
  secretKeys ??= new Set(loadData<{ keys: string[] }>("secret-keys.yaml").keys.map(normalize));
  return secretKeys.has(normalize(key));
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, isSecretKey(key) ? REDACTED : redactValue(inner)]),
    );
  }
  return value;
}

/** A deep copy of the report with every secret in evidence (findings' and checks') replaced by "[redacted]". */
export function redactReport(report: Report): Report {
  const copy = structuredClone(report);
  for (const item of [...copy.findings, ...copy.checks]) {
    if (item.evidence) item.evidence = redactValue(item.evidence) as Record<string, unknown>;
  }
  copy.redacted = true;
  return copy;
}
