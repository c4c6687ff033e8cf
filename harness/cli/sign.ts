// iotcert sign REPORT --key lab.pem: write REPORT.sig, an Ed25519 signature over the report's
// canonical form. Exit 0 signed, 2 bad input (no report, not JSON, not an Ed25519 key).
import { InputTooLarge, readInputFile } from "../core/input-file.js";
import { writeFileAtomic } from "../../reports/atomic.js";
import { KeyError, NotCanonicalizable, privateKeyFrom, signReport } from "../../reports/signature.js";
import { BadInput, type Io } from "./io.js";

export async function readInput(file: string, what: string): Promise<string> {
  try {
    return (await readInputFile(file)).toString("utf8");
  } catch (err) {
    if (err instanceof InputTooLarge) throw new BadInput(err.message);
    throw new BadInput(`${what} ${file}: ${(err as Error).message}`);
  }
}

export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadInput(`${file}: not JSON: ${(err as Error).message}`);
  }
}

export async function signCommand(reportFile: string, flags: { key: string; out?: string }, io: Io): Promise<number> {
  const report = parseJson(await readInput(reportFile, "report"), reportFile);
  let key;
  try {
    key = privateKeyFrom(await readInput(flags.key, "key"));
  } catch (err) {
    if (err instanceof KeyError) throw new BadInput(`--key ${flags.key}: ${err.message}`);
    throw err;
  }
  const out = flags.out ?? `${reportFile}.sig`;
  let signature;
  try {
    signature = signReport(report, key);
  } catch (err) {
    if (err instanceof NotCanonicalizable) throw new BadInput(`${reportFile}: ${err.message}`);
    throw err;
  }
  await writeFileAtomic(out, `${JSON.stringify(signature, null, 2)}\n`);
  io.out.write(`signed ${reportFile} (key ${signature.keyId.slice(0, 16)}…): ${out}\n`);
  return 0;
}
