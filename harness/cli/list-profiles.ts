// iotcert profiles: the shipped certification profiles.
import { loadProfile } from "../schema/load.js";
import { shippedProfileFiles } from "./profiles-source.js";

export async function profilesCommand(out: NodeJS.WritableStream): Promise<number> {
  for (const file of shippedProfileFiles()) {
    const p = await loadProfile(file);
    out.write(`${p.id}  ${p.title}\n  levels ${p.levels.join(" < ")}; ${p.provisions.length} provisions\n  ${file}\n\n`);
  }
  return 0;
}
