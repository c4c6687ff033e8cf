// iotcert checks: every check with its effect, what it needs, and its description.
import { builtinRegistry } from "../checks/index.js";

export function checksCommand(out: NodeJS.WritableStream): number {
  for (const c of builtinRegistry().all()) {
    const needs = c.needs.length ? `needs ${c.needs.join(", ")}` : "needs no device interface";
    out.write(`${c.id}  [${c.effect}; ${needs}]\n  ${c.title}\n  ${c.description}\n\n`);
  }
  return 0;
}
