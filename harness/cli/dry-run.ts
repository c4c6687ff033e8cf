// --dry-run: every probe the run would send, per check, and nothing sent.
import type { Pace } from "../core/pace.js";
import type { Plan } from "../core/plan.js";
import type { Descriptor } from "../schema/types.js";

export function printDryRun(plan: Plan, device: Descriptor, pace: Pace, out: NodeJS.WritableStream): void {
  const rows: string[][] = [["check", "effect", "address", "port", "protocol", "count"]];
  for (const check of plan.checks) {
    const probes = check.plan(device, pace);
    if (probes.length === 0) rows.push([check.id, check.effect, "-", "-", "-", "0 (uses facts only)"]);
    for (const p of probes) rows.push([check.id, check.effect, p.address, String(p.port), p.protocol, String(p.count) + (p.note ? `; ${p.note}` : "")]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  out.write(`dry run (pace ${pace.settings.name}): nothing is sent\n`);
  for (const r of rows) out.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}\n`);
}
