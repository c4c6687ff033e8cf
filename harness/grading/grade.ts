// Profile + check verdicts + attestations → provision verdicts → label (design.md, "Grading").
import type { Descriptor, Profile, Provision } from "../schema/types.js";
import type { ProvisionResult } from "../core/report.js";
import type { Verdict } from "../core/types.js";

export const NO_LABEL = "none";
/** The label of a run that never reached the device: no grade at all, below "none". */
export const NOT_TESTED = "not-tested";

export interface Label {
  level: string;
  heldBy: string[];
  reason: string;
}

export interface Grade {
  provisions: ProvisionResult[];
  label: Label;
}

interface Part {
  name: string;
  verdict: Verdict;
}

function partsOf(provision: Provision, checkVerdicts: ReadonlyMap<string, Verdict>, device: Descriptor): Part[] {
  const parts: Part[] = (provision.checks ?? []).map((id) => ({ name: id, verdict: checkVerdicts.get(id) ?? "inconclusive" }));
  if (provision.attestation) {
    const attested = device.attestations?.[provision.id];
    parts.push({ name: "attestation", verdict: attested?.verdict ?? "inconclusive" });
  }
  return parts;
}

function describe(parts: Part[], verdicts: Verdict[], missingAttestation: boolean): string {
  const named = parts.filter((p) => verdicts.includes(p.verdict)).map((p) => p.name);
  const what = named.join(", ");
  return missingAttestation && named.includes("attestation") ? `${what} (no attestation recorded)` : what;
}

/** One provision: fail beats inconclusive/error beats pass; all not-applicable is not-applicable. */
export function gradeProvision(provision: Provision, checkVerdicts: ReadonlyMap<string, Verdict>, device: Descriptor): ProvisionResult {
  const parts = partsOf(provision, checkVerdicts, device);
  const missingAttestation = !!provision.attestation && !device.attestations?.[provision.id];
  const has = (...v: Verdict[]) => parts.some((p) => v.includes(p.verdict));
  let verdict: Verdict;
  let reason: string;
  if (parts.length === 0) {
    verdict = "inconclusive";
    reason = "no check or attestation covers it";
  } else if (has("fail")) {
    verdict = "fail";
    reason = `failed: ${describe(parts, ["fail"], missingAttestation)}`;
  } else if (has("inconclusive", "error")) {
    verdict = "inconclusive";
    reason = `not established: ${describe(parts, ["inconclusive", "error"], missingAttestation)}`;
  } else if (parts.every((p) => p.verdict === "not-applicable")) {
    verdict = "not-applicable";
    reason = "does not apply to this device";
  } else {
    verdict = "pass";
    reason = `passed: ${describe(parts, ["pass"], false)}`;
  }
  return {
    id: provision.id,
    title: provision.title,
    level: provision.level,
    verdict,
    checks: provision.checks ?? [],
    reason,
  };
}

const MET: ReadonlySet<Verdict> = new Set(["pass", "not-applicable"]);

/**
 * The label is the highest level L such that every provision at L or below is met; heldBy names
 * the unmet provisions of the first level not reached.
 */
export function grade(profile: Profile, checkVerdicts: ReadonlyMap<string, Verdict>, device: Descriptor): Grade {
  const provisions = profile.provisions.map((p) => gradeProvision(p, checkVerdicts, device));
  const rank = new Map(profile.levels.map((l, i) => [l, i]));
  let reached = -1;
  let heldBy: ProvisionResult[] = [];
  for (let i = 0; i < profile.levels.length; i++) {
    const unmet = provisions.filter((p) => rank.get(p.level) === i && !MET.has(p.verdict));
    if (unmet.length > 0) {
      heldBy = unmet;
      break;
    }
    reached = i;
  }
  const level = reached < 0 ? NO_LABEL : profile.levels[reached]!;
  const next = profile.levels[reached + 1];
  const reason = next === undefined
    ? `every provision up to ${level} is met`
    : `${next} not reached: ${heldBy.map((p) => `${p.id} ${p.verdict}`).join(", ")}`;
  return { provisions, label: { level, heldBy: heldBy.map((p) => p.id), reason } };
}

/** Whether `level` is at or above `required` on the profile's scale ("none" is below all). */
export function meetsLevel(profile: Profile, level: string, required: string): boolean {
  const scale = [NO_LABEL, ...profile.levels];
  return scale.indexOf(level) >= scale.indexOf(required);
}
