// The checks a run can use, looked up by id or by id glob ("surface.*").
import type { Check } from "./types.js";

function globToRegExp(glob: string): RegExp {
  const body = glob.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`);
}

export class Registry {
  readonly #checks = new Map<string, Check>();

  constructor(checks: Iterable<Check>) {
    for (const check of checks) {
      if (this.#checks.has(check.id)) throw new Error(`two checks share the id ${check.id}`);
      this.#checks.set(check.id, check);
    }
  }

  get(id: string): Check | undefined {
    return this.#checks.get(id);
  }

  all(): Check[] {
    // Code-unit order, which for ids (a-z, 0-9, "." and "-") is the same as localeCompare's,
    // without the collator that takes a sixtieth of a second to set up on the first call.
    return [...this.#checks.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Ids matching any of the globs. */
  matching(globs: string[]): Set<string> {
    const patterns = globs.map(globToRegExp);
    return new Set([...this.#checks.keys()].filter((id) => patterns.some((re) => re.test(id))));
  }
}
