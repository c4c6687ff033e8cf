// Port sets as descriptors write them: "all", "1-1024,8080", or a list of numbers.
import type { PortSet } from "../schema/types.js";

export const ALL_PORTS = "1-65535";

/** Expand a port set into sorted unique port numbers; throws on anything outside 1..65535. */
export function parsePortSet(set: PortSet | undefined): number[] {
  const spec = set === undefined || set === "all" ? ALL_PORTS : set;
  // A bitmap rather than a Set: "all" is 65535 ports, and this runs on every descriptor load.
  const seen = new Uint8Array(65536);
  const add = (p: number) => {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`port ${p} is outside 1-65535`);
    seen[p] = 1;
  };
  if (Array.isArray(spec)) {
    spec.forEach(add);
  } else {
    for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!m) throw new RangeError(`"${part}" is not a port or a range of ports`);
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      if (hi < lo) throw new RangeError(`range "${part}" runs backwards`);
      add(lo);
      add(hi);
      seen.fill(1, lo, hi + 1);
    }
  }
  const ports: number[] = [];
  for (let p = 1; p <= 65535; p++) if (seen[p]) ports.push(p);
  return ports;
}

/** The shortest range form of a set of ports: [22, 80, 81, 82] → "22,80-82". */
export function formatPortSet(ports: Iterable<number>): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
