// `iotcert validate <file>…`: check descriptors, profiles and data files against their schemas
// without touching any device. A data file is known by its name (udp-probes.yaml,
// credentials/mirai.csv): an edited copy of one of harness/data's files.
import { dataFileOf, validateDataFile, type DataFile } from "../schema/data-files.js";
import { formatIssue, loadDocument, ValidationError } from "../schema/load.js";

export const VALIDATE_USAGE = "usage: iotcert validate <device.yaml|profile.yaml|harness/data file>…";

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
    const data = dataFileOf(file);
    if (data) {
      const issues = await validateDataFile(file, data);
      if (issues.length === 0) {
        io.out.write(`${file}: ok (${dataKind(data)})\n`);
      } else {
        io.err.write(`${issues.map(formatIssue).join("\n")}\n`);
        code = 2;
      }
      continue;
    }
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

const dataKind = (data: DataFile) =>
  data.kind === "credentials" ? `credential list ${data.name}` : `data file, schema harness/schema/${data.schema}.schema.json`;
