// campaign.json and the closing line: one entry per device, in the order given, whether the
// campaign ran it here, through the queue, or found it done before.
import { join } from "node:path";
import { writeFileAtomic } from "../../reports/atomic.js";

export interface CampaignOutcome {
  id: string;
  label: string;
  complete: boolean;
  skipped: boolean;
  /** Why a device has no complete report, when the campaign knows ("worker lost", "the device was not reached …"). */
  reason?: string;
}

/** Writes campaign.json and prints the summary; the exit code: 0 every device complete, else 3. */
export async function writeCampaignSummary(out: string, profileId: string, summary: CampaignOutcome[], stdout: NodeJS.WritableStream): Promise<number> {
  await writeFileAtomic(join(out, "campaign.json"), `${JSON.stringify({ profile: profileId, devices: summary }, null, 2)}\n`);
  const complete = summary.filter((s) => s.complete).length;
  const skipped = summary.filter((s) => s.skipped && s.complete).length;
  stdout.write(`campaign: ${complete}/${summary.length} devices complete (${skipped} from an earlier run), reports in ${out}\n`);
  return complete === summary.length ? 0 : 3;
}
