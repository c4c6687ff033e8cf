// Component versions found in firmware, compared with the minimums in
// harness/data/firmware-components.yaml. Versions like OpenSSL's "1.0.2k" or Dropbear's "2019.78"
// are not semver, so the comparison is part by part: numbers as numbers, letters as letters.

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.match(/\d+|[a-z]+/gi) ?? [];
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    // A missing part is the smaller: 1.0.2 < 1.0.2k < 1.0.2.1
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (nx !== ny) {
      return nx ? 1 : -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}
