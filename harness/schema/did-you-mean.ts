// "Did you mean": the allowed word a typo most likely stood for, for every message that names a
// word iotcert does not know (a descriptor's key, a profile's level, a check id).

/** `what (expected one of: …); did you mean "…"?`, for a short list of allowed words. */
export function notAllowed(what: string, word: string, allowed: string[]): string {
  const suggestion = closest(word, allowed);
  return `${what} (expected one of: ${allowed.join(", ")})${suggestion === undefined ? "" : `; did you mean "${suggestion}"?`}`;
}

/** The allowed word a typo or a shortening most likely meant ("adress", "user"), if any. */
export function closest(word: string, candidates: string[]): string | undefined {
  const typed = word.toLowerCase();
  const limit = Math.max(1, Math.floor(typed.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = editDistance(typed, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best ?? (typed.length >= 3 ? candidates.find((c) => c.toLowerCase().startsWith(typed)) : undefined);
}

/** Levenshtein distance counting a swap of neighbours as one edit ("adrses" → "adress"). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]![j]!;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}
