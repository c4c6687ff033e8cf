// iotcert verify REPORT --pub lab.pub: 0 the signature holds, 1 it does not (the report was
// edited, or signed by another key), 2 bad input (missing file, not a public Ed25519 key).
import { KeyError, publicKeyFrom, verifyReport, type ReportSignature } from "../../reports/signature.js";
import { BadInput, type Io } from "./io.js";
import { parseJson, readInput } from "./sign.js";

export async function verifyCommand(reportFile: string, flags: { pub: string; signature?: string }, io: Io): Promise<number> {
  const reportText = await readInput(reportFile, "report");
  const signatureFile = flags.signature ?? `${reportFile}.sig`;
  const signature = parseJson(await readInput(signatureFile, "signature"), signatureFile) as ReportSignature;
  let key;
  try {
    key = publicKeyFrom(await readInput(flags.pub, "public key"));
  } catch (err) {
    if (err instanceof KeyError) throw new BadInput(`--pub ${flags.pub}: ${err.message}`);
    throw err;
  }
  const result = verifyReport(reportText, signature, key);
  if (result.valid) {
    io.out.write(`${reportFile}: signature valid (key ${signature.keyId.slice(0, 16)}…, signed ${signature.signedAt})\n`);
    return 0;
  }
  io.err.write(`${reportFile}: signature INVALID: ${result.reason}\n`);
  return 1;
}
