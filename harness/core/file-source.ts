// A file a run reads, by path and the sha256 of its bytes, streamed (a capture may be large).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { SourceFile } from "../schema/load.js";

export async function fileSource(path: string): Promise<SourceFile> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return { path, sha256: hash.digest("hex") };
}
