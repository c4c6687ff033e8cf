// Fragile ports (harness/data/fragile-ports.yaml): a connect is fine, a payload is not.
import { loadData } from "./data.js";
import { parsePortSet } from "./ports.js";

interface FragileData {
  ports: { range: string; why: string }[];
}

let fragile: Map<number, string> | undefined;

/** Why the port is fragile, or undefined when it is not. */
export function fragileReason(port: number): string | undefined {
  if (!fragile) {
    fragile = new Map();
    for (const { range, why } of loadData<FragileData>("fragile-ports.yaml").ports) {
      for (const p of parsePortSet(range)) fragile.set(p, why);
    }
  }
  return fragile.get(port);
}
