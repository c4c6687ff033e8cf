// Two reports of the same device (the last build's and this one's): what was found anew, what was
// fixed, which provisions changed, whether the label moved, and whether any of it is a regression.
import type { Report } from "../core/report.js";
import type { Finding, Verdict } from "../core/types.js";
import { NO_LABEL, NOT_TESTED } from "./grade.js";

export interface ReportDiff {
  label: { old: string; new: string; change: "up" | "down" | "same" };
  newFindings: Finding[];
  fixedFindings: Finding[];
  provisions: { id: string; title: string; level: string; old: Verdict | "absent"; new: Verdict | "absent"; worse: boolean }[];
  regression: boolean;
  /** Why it is a regression, one line each. */
  reasons: string[];
  /** Whether each run reached every check; an incomplete run's absent findings are not fixes. */
  complete: { old: boolean; new: boolean };
  /**
   * What a gate should take from it: a regression; no regression; or incomplete, when the new
   * report did not complete (what it did not reach may hide one), which no gate should pass.
   */
  outcome: "regression" | "no regression" | "incomplete";
}

/**
 * What a finding is: its check, the service and the title. Not the port number: a weakness that
 * moved to another port in the new build (telnet from 23 to 2323) is the same weakness.
 */
function key(f: Finding): string {
  const port = f.target?.port;
  const title = port === undefined ? f.title : f.title.replace(new RegExp(`\\b${port}\\b`, "g"), "#");
  return JSON.stringify([f.check, title, f.target?.transport, f.target?.service]);
}

// Met, then not established, then failed: a move to the right is worse.
const RANK: Record<Verdict | "absent", number> = { pass: 0, "not-applicable": 0, absent: 1, inconclusive: 1, error: 1, fail: 2 };

/** not-tested below none, then the profile's levels from lowest. */
function levelRank(levels: string[], level: string): number {
  return [NOT_TESTED, NO_LABEL, ...levels].indexOf(level);
}

export function diffReports(old: Report, now: Report): ReportDiff {
  const oldKeys = new Set(old.findings.map(key));
  const newKeys = new Set(now.findings.map(key));
  const newFindings = now.findings.filter((f) => !oldKeys.has(key(f)));
  const fixedFindings = old.findings.filter((f) => !newKeys.has(key(f)));

  const before = new Map(old.provisions.map((p) => [p.id, p]));
  const after = new Map(now.provisions.map((p) => [p.id, p]));
  const provisions = [...new Set([...before.keys(), ...after.keys()])].flatMap((id) => {
    const o = before.get(id);
    const n = after.get(id);
    const oldVerdict: Verdict | "absent" = o?.verdict ?? "absent";
    const newVerdict: Verdict | "absent" = n?.verdict ?? "absent";
    if (oldVerdict === newVerdict) return [];
    const p = (n ?? o)!;
    return [{ id, title: p.title, level: p.level, old: oldVerdict, new: newVerdict, worse: RANK[newVerdict] > RANK[oldVerdict] }];
  });

  const levels = now.profile.levels ?? old.profile.levels ?? [];
  const oldRank = levelRank(levels, old.label.level);
  const newRank = levelRank(levels, now.label.level);
  const change = newRank < oldRank ? "down" : newRank > oldRank ? "up" : old.label.level === now.label.level ? "same" : "down";

  const reasons: string[] = [];
  // A report that tested nothing shows no regression only because it saw nothing: it is one.
  if (now.label.level === NOT_TESTED) reasons.push(`the new run did not test the device: ${now.label.reason}`);
  else if (change === "down") reasons.push(`label ${old.label.level} → ${now.label.level}`);
  for (const p of provisions.filter((p) => p.worse)) reasons.push(`${p.id} ${p.old} → ${p.new}`);
  const serious = newFindings.filter((f) => f.severity !== "info");
  if (serious.length) reasons.push(`${serious.length} new finding${serious.length === 1 ? "" : "s"} above info`);
  return {
    label: { old: old.label.level, new: now.label.level, change },
    newFindings,
    fixedFindings,
    provisions,
    regression: reasons.length > 0,
    reasons,
    complete: { old: old.complete, new: now.complete },
    outcome: reasons.length > 0 ? "regression" : now.complete ? "no regression" : "incomplete",
  };
}
