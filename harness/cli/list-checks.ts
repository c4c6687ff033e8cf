// iotcert checks: every check with its effect, what it needs, and its description.
import { builtinRegistry } from "../checks/index.js";

export function checksCommand(out: NodeJS.WritableStream): number {
  for (const c of builtinRegistry().all()) {
    out.write(`${c.id}  [${c.effect}; needs ${c.needs.join(", ") || "none"}]\n  ${c.title}\n  ${c.description}\n\n`);
  }
  return 0;
}
