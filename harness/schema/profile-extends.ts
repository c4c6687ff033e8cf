// `extends:` in profiles: a national or sector scheme is mostly another scheme with its levels
// renamed or moved (Singapore's CLS builds on ETSI EN 303 645), so a profile can inherit one and
// say only what differs. The result is an ordinary profile; the grading never sees `extends`.
import type { Profile, ProfileFile, Provision } from "./types.js";

/** Something wrong in the extending file, as a path into it. */
export interface ExtendProblem {
  path: (string | number)[];
  /** Point at the key of the last segment rather than at its value. */
  atKey?: boolean;
  message: string;
}

/** Whether `extends` names a file (relative to the extending profile) rather than a shipped id. */
export function extendsAFile(target: string): boolean {
  return /[\\/]/.test(target) || /\.(ya?ml|json)$/i.test(target);
}

/**
 * The child profile over its resolved parent: the parent's provisions with levelMap and
 * overrides applied, then the child's own. Problems point into the child's file.
 */
export function extendProfile(parent: Profile, child: ProfileFile): { profile: Profile; problems: ExtendProblem[] } {
  const problems: ExtendProblem[] = [];
  const levels = child.levels ?? parent.levels;
  const levelMap = child.levelMap ?? {};
  const overrides = child.overrides ?? {};

  for (const [from, to] of Object.entries(levelMap)) {
    if (!parent.levels.includes(from)) {
      problems.push({ path: ["levelMap", from], atKey: true, message: `${parent.id} has no level ${JSON.stringify(from)} (its levels: ${parent.levels.join(", ")})` });
    } else if (!levels.includes(to)) {
      problems.push({ path: ["levelMap", from], message: `${JSON.stringify(to)} is not one of this profile's levels (${levels.join(", ")})` });
    }
  }
  const inheritedIds = new Set(parent.provisions.map((p) => p.id));
  for (const id of Object.keys(overrides)) {
    if (!inheritedIds.has(id)) problems.push({ path: ["overrides", id], atKey: true, message: `${parent.id} has no provision ${JSON.stringify(id)}` });
  }

  const inherited: Provision[] = parent.provisions.map((p) => {
    const change = overrides[p.id] ?? {};
    const merged: Provision = { ...p, level: levelMap[p.level] ?? p.level, ...change };
    if (!levels.includes(merged.level)) {
      problems.push(
        change.level !== undefined
          ? { path: ["overrides", p.id, "level"], message: `${JSON.stringify(merged.level)} is not one of this profile's levels (${levels.join(", ")})` }
          : { path: child.levels ? ["levels"] : ["extends"], message: `inherited provision ${p.id} is at level ${JSON.stringify(merged.level)}, which this profile does not have: map it in levelMap or move it in overrides` },
      );
    }
    if (!merged.attestation && !(merged.checks?.length)) {
      problems.push({ path: ["overrides", p.id], message: 'would leave the provision with neither checks nor "attestation: true"' });
    }
    return merged;
  });

  const own = child.provisions ?? [];
  own.forEach((p, i) => {
    if (inheritedIds.has(p.id)) {
      problems.push({ path: ["provisions", i, "id"], message: `${JSON.stringify(p.id)} is inherited from ${parent.id}; change it under overrides` });
    } else if (!child.levels && !levels.includes(p.level)) {
      problems.push({ path: ["provisions", i, "level"], message: `unknown level ${JSON.stringify(p.level)} (expected one of: ${levels.join(", ")})` });
    }
  });

  const { levelMap: _m, overrides: _o, provisions: _p, levels: _l, ...rest } = child;
  return {
    profile: { ...rest, extends: parent.id, levels, provisions: [...inherited, ...own] },
    problems,
  };
}
