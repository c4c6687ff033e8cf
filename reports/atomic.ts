// A report is either the old file or the new one, never half of each: Ctrl-C, a crash or a full
// disk during a write must not leave a truncated report.json that a CI step then trusts.
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Write data to path through a temp file in the same folder, fsynced, then renamed over it.
 * `mode` is the new file's permissions (before the umask), 0o600 for what holds secrets.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o666): Promise<void> {
  // Same folder: rename is only atomic within one file system.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const file = await open(temp, "wx", mode);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path));
}

// The rename lives in the folder's entry table; without syncing the folder, a power cut can
// bring back the old file. Windows cannot open a folder for this, and needs no such step.
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
