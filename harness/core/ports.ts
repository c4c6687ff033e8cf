// Port sets as descriptors write them: "all", "1-1024,8080", or a list of numbers.
import type { PortSet } from "../schema/types.js";

export const ALL_PORTS = "1-65535";

/** The ranges a port set names, [first, last] each; throws on anything outside 1..65535. */
function portRanges(set: PortSet | undefined): [number, number][] {
  const spec = set === undefined || set === "all" ? ALL_PORTS : set;
  const checked = (p: number) => {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`port ${p} is outside 1-65535`);
    return p;
  };
  if (Array.isArray(spec)) return spec.map((p) => [checked(p), p]);
  return spec.split(",").map((s) => s.trim()).filter(Boolean).map((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`"${part}" is not a port or a range of ports`);
    const lo = checked(Number(m[1]));
    const hi = m[2] === undefined ? lo : checked(Number(m[2]));
    if (hi < lo) throw new RangeError(`range "${part}" runs backwards`);
    return [lo, hi];
  });
}

/** Throws as parsePortSet would, without listing the ports (a descriptor check need not). */
export function checkPortSet(set: PortSet | undefined): void {
  portRanges(set);
}

/** Expand a port set into sorted unique port numbers; throws on anything outside 1..65535. */
export function parsePortSet(set: PortSet | undefined): number[] {
  // A bitmap rather than a Set: "all" is 65535 ports, and this runs on every descriptor load.
  const seen = new Uint8Array(65536);
  for (const [lo, hi] of portRanges(set)) seen.fill(1, lo, hi + 1);
  let count = 0;
  for (let p = 1; p <= 65535; p++) count += seen[p]!;
  const ports = new Array<number>(count);
  for (let p = 1, i = 0; p <= 65535; p++) if (seen[p]) ports[i++] = p;
  return ports;
}

/** Whether `port` is in `sorted` (ascending, as parsePortSet gives), by bisection: a Set of a full scan's 65535 ports costs more than the question. */
export function inSortedPorts(sorted: readonly number[], port: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === port) return true;
    if (sorted[mid]! < port) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The shortest range form of a set of ports: [22, 80, 81, 82] → "22,80-82". */
export function formatPortSet(ports: Iterable<number>): string {
  // A bitmap rather than a sort: a full scan's ledger line holds all 65535 ports.
  const seen = new Uint8Array(65537);
  for (const p of ports) seen[p] = 1;
  const parts: string[] = [];
  for (let p = 0; p <= 65535; p++) {
    if (!seen[p]) continue;
    let last = p;
    while (seen[last + 1]) last++;
    parts.push(p === last ? String(p) : `${p}-${last}`);
    p = last;
  }
  return parts.join(",");
}
