// The one way iotcert reads a file a user hands it (a descriptor, a profile, a report, a key, a
// list, a MUD file, a trust anchor), with one cap on its size. Such files are kilobytes; one of
// 50 MB is a mistake (the wrong file, a capture renamed), and parsing it as YAML took 523 s and
// 2.4 GB. Captures and firmware images are large by nature and are read elsewhere, streamed.
import { open } from "node:fs/promises";

export const MAX_INPUT_BYTES = 4 * 1024 * 1024;

const CAP_TEXT = `${MAX_INPUT_BYTES / (1024 * 1024)} MiB`;

/** A file over MAX_INPUT_BYTES; `reason` says so without the file's name, `message` with it. */
export class InputTooLarge extends Error {
  override readonly name = "InputTooLarge";
  readonly reason: string;
  constructor(readonly file: string, size: number | undefined) {
    const reason = size === undefined ? `more than the ${CAP_TEXT} an input may have` : `${size} bytes, more than the ${CAP_TEXT} an input may have`;
    super(`${file}: ${reason}`);
    this.reason = reason;
  }
}

/**
 * The whole file, refused before it is read when its size is over the cap. The read is bounded
 * too, as the size a stat gives may be stale (a file still being written) or absent (a FIFO, a
 * device). Other failures (no such file, a folder) are thrown as the file system's errors.
 */
export async function readInputFile(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const stats = await handle.stat();
    if (stats.isFile() && stats.size > MAX_INPUT_BYTES) throw new InputTooLarge(file, stats.size);
    const buffer = Buffer.allocUnsafe(MAX_INPUT_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_INPUT_BYTES) throw new InputTooLarge(file, stats.isFile() ? Math.max(length, stats.size) : undefined);
    }
    return Buffer.from(buffer.subarray(0, length));
  } finally {
    await handle.close();
  }
}
