// The other units of the same model that a descriptor names under `siblings`: inline addresses, or
// descriptor files (paths relative to the naming descriptor), loaded and validated like any other.
import { dirname, resolve } from "node:path";
import { loadDescriptorWithSource, ValidationError, type SourceFile } from "./load.js";
import type { Descriptor } from "./types.js";

export interface Sibling {
  /** The entry of the descriptor's `siblings` that names this unit: a path, or the inline address. */
  namedAs: string;
  id: string;
  address: string;
  /** The descriptor file it was loaded from (absent for an inline sibling), for the audit record. */
  source?: SourceFile;
}

const inline = (device: Descriptor): Sibling[] =>
  (device.siblings ?? []).flatMap((s) => (typeof s === "string" ? [] : [{ namedAs: s.address, id: s.id ?? s.address, address: s.address }]));

/** The descriptor files among `siblings`, loaded from beside `file` (the descriptor's own path). */
export async function loadSiblings(device: Descriptor, file: string): Promise<Sibling[]> {
  const loaded: Sibling[] = [];
  for (const [i, entry] of (device.siblings ?? []).entries()) {
    if (typeof entry !== "string") continue;
    const path = resolve(dirname(file), entry);
    const { descriptor: sibling, source } = await loadDescriptorWithSource(path);
    if (!sibling.network) {
      throw new ValidationError([{ file, line: 0, col: 0, path: `siblings[${i}]`, message: `${entry} has no network.address: the unit cannot be reached to compare it` }]);
    }
    loaded.push({ namedAs: entry, id: sibling.id, address: sibling.network.address, source });
  }
  return loaded;
}

/**
 * The units a run may compare with: the inline ones, and those loaded from files that the
 * descriptor itself names. A loaded sibling whose entry the descriptor does not hold is dropped,
 * so nothing but the descriptor can widen what the run contacts.
 */
export function siblingsOf(device: Descriptor, loaded: readonly Sibling[] = []): Sibling[] {
  const named = new Set((device.siblings ?? []).filter((s): s is string => typeof s === "string"));
  return [...inline(device), ...loaded.filter((s) => named.has(s.namedAs))];
}
