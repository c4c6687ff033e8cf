// Which checks a run executes and in what order: the profile's checks (narrowed by --only), plus
// the checks producing the facts they consume, each after its producers.
import type { Profile } from "../schema/types.js";
import type { FactKey } from "./facts.js";
import type { Registry } from "./registry.js";
import type { Check } from "./types.js";

export class PlanError extends Error {
  override readonly name = "PlanError";
}

export interface Plan {
  /** In an order where every check comes after the producers of what it consumes. */
  checks: Check[];
  /** For each check, the planned checks it waits for. */
  waitsFor: Map<string, Set<string>>;
}

export function planRun(profile: Profile, registry: Registry, only?: string[]): Plan {
  const named = [...new Set(profile.provisions.flatMap((p) => p.checks ?? []))];
  const unknown = named.filter((id) => !registry.get(id));
  if (unknown.length) throw new PlanError(`profile ${profile.id} names checks that do not exist: ${unknown.join(", ")}`);


  const producers = new Map<FactKey, Check[]>();
  for (const check of registry.all()) for (const fact of check.produces ?? []) {
    producers.set(fact, [...(producers.get(fact) ?? []), check]);
  }

  const ordered: Check[] = [];
  const waitsFor = new Map<string, Set<string>>();
  const visiting = new Set<string>();
  const visit = (check: Check) => {
    if (waitsFor.has(check.id)) return;
    if (visiting.has(check.id)) throw new PlanError(`checks depend on each other in a cycle through ${check.id}`);
    visiting.add(check.id);
    const deps = new Set<string>();
    for (const fact of check.consumes ?? []) for (const producer of producers.get(fact) ?? []) {
      if (producer.id === check.id) continue;
      visit(producer);
      deps.add(producer.id);
    }
    visiting.delete(check.id);
    waitsFor.set(check.id, deps);
    ordered.push(check);
  };
  for (const id of named) visit(registry.get(id)!);
  if (!only?.length) return { checks: ordered, waitsFor };

  // --only picks among the planned checks (the profile's and the producers they need), then
  // keeps the producers of what the picked ones consume.
  const selected = registry.matching(only);
  const keep = new Set<string>();
  const add = (id: string) => {
    if (keep.has(id)) return;
    keep.add(id);
    waitsFor.get(id)!.forEach(add);
  };
  ordered.filter((c) => selected.has(c.id)).forEach((c) => add(c.id));
  if (keep.size === 0) throw new PlanError(`--only ${only.join(",")} selects none of the checks this profile runs`);
  return { checks: ordered.filter((c) => keep.has(c.id)), waitsFor };
}
