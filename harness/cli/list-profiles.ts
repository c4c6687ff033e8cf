// iotcert profiles: the shipped certification profiles.
import { loadProfile } from "../schema/load.js";
import { shippedProfileFiles } from "./profiles-source.js";

export async function profilesCommand(out: NodeJS.WritableStream): Promise<number> {
  for (const file of shippedProfileFiles()) {
    const p = await loadProfile(file);
    const documentary = p.provisions.filter((x) => x.attestation).length;
    const built = p.extends ? `; extends ${p.extends}` : "";
    out.write(`${p.id}  ${p.title}${p.version ? ` (${p.version})` : ""}\n  levels ${p.levels.join(" < ")}; ${p.provisions.length} provisions, ${documentary} attested by the lab${built}\n  ${file}\n\n`);
  }
  return 0;
}
