// lifecycle.support-period: the manufacturer declares until when the device gets security updates
// (EN 303 645 5.3-13; the UK PSTI regime made publishing it law), and that day is far enough ahead.
import type { Check, Outcome } from "../../core/types.js";

/** The day `months` calendar months after `date` (UTC), clamped to the month's last day. */
export function addMonths(date: Date, months: number): Date {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(date.getUTCDate(), lastDay)));
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export const supportPeriod: Check = {
  id: "lifecycle.support-period",
  title: "A support period is declared and has enough of it left",
  description:
    "Reads the manufacturer's declared end of the security-update support period (declared.supportPeriodEnd) and " +
    "fails when there is none, or when it lies less than the profile's minimumSupportMonths after the run date " +
    "(absent: the period must only not have ended). Sends nothing.",
  effect: "observe",
  needs: [],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const end = ctx.device.declared?.supportPeriodEnd;
    const months = ctx.profile.parameters?.minimumSupportMonths ?? 0;
    if (!end) {
      return {
        verdict: "fail",
        summary: "no support period declared (declared.supportPeriodEnd)",
        findings: [{ severity: "medium", title: "the manufacturer declares no end of the security-update support period" }],
      };
    }
    const today = new Date(`${day(new Date())}T00:00:00Z`);
    const needed = addMonths(today, months);
    const evidence = { supportPeriodEnd: end, runDate: day(today), minimumMonths: months, neededUntil: day(needed) };
    const endDate = new Date(`${end}T00:00:00Z`);
    if (endDate < today) {
      return { verdict: "fail", summary: `the support period ended on ${end}`, evidence, findings: [{ severity: "high", title: `the declared support period ended on ${end}`, evidence }] };
    }
    if (endDate < needed) {
      return {
        verdict: "fail",
        summary: `support ends ${end}, less than the ${months} months the profile asks for (until ${day(needed)})`,
        evidence,
        findings: [{ severity: "medium", title: `the declared support period ends ${end}, before ${day(needed)} (${months} months after the run)`, evidence }],
      };
    }
    return { verdict: "pass", summary: `support declared until ${end}${months ? `, at least ${months} months ahead` : ""}`, evidence };
  },
};
