// `iotcert validate <file>…`: check descriptors and profiles against their schemas without
// touching any device.
import { loadDocument, ValidationError } from "../schema/load.js";

export const VALIDATE_USAGE = "usage: iotcert validate <device.yaml|profile.yaml>…";

/** Returns the exit code: 0 when every file is valid, 2 when any is not or none was given. */
export async function validateCommand(
  files: string[],
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): Promise<number> {
  if (files.length === 0) {
    io.err.write(`${VALIDATE_USAGE}\n`);
    return 2;
  }
  let code = 0;
  for (const file of files) {
    try {
      const doc = await loadDocument(file);
      const what =
        doc.kind === "profile"
          ? `profile "${doc.value.id}", ${doc.value.provisions.length} provisions`
          : `device descriptor "${doc.value.id}"`;
      io.out.write(`${file}: ok (${what})\n`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      io.err.write(`${err.format()}\n`);
      code = 2;
    }
  }
  return code;
}
