// iotcert attest DEVICE --profile P: the lab's verdicts on the documentary provisions, asked one
// provision at a time on the terminal (or from piped answers). Answers go into the descriptor's
// `attestations` (its comments and layout kept), or with --file into a separate attestation file
// that `iotcert run --attestations FILE` reads. Exit 0 saved, 2 bad input.
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { isMap, parseDocument, type Document } from "yaml";
import { writeFileAtomic } from "../../reports/atomic.js";
import { loadDescriptor, loadAttestationFile } from "../schema/load.js";
import type { Attestation } from "../schema/types.js";
import { BadInput, type Io } from "./io.js";
import { DEFAULT_PROFILE, resolveProfile } from "./profiles-source.js";
import { terminalSafe } from "./terminal-safe.js";

export interface AttestFlags {
  profile?: string;
  file?: string;
  by?: string;
}

const ANSWERS: Record<string, Attestation["verdict"]> = {
  p: "pass", pass: "pass", f: "fail", fail: "fail", n: "not-applicable", na: "not-applicable", "not-applicable": "not-applicable",
};

/** The document to write answers into: the descriptor, or the attestation file (new or existing). */
function targetDocument(file: string, deviceId: string, separate: boolean): Document {
  if (separate && !existsSync(file)) return parseDocument(`# Attestations for ${deviceId}, written by iotcert attest\ndevice: ${deviceId}\nattestations: {}\n`);
  return parseDocument(readFileSync(file, "utf8"));
}

export async function attestCommand(deviceFile: string, flags: AttestFlags, io: Io): Promise<number> {
  const device = await loadDescriptor(deviceFile);
  const profile = await resolveProfile(flags.profile ?? DEFAULT_PROFILE);
  const separate = flags.file !== undefined;
  const target = flags.file ?? deviceFile;
  const current = { ...device.attestations, ...(separate && existsSync(target) ? (await loadAttestationFile(target, device.id)) : {}) };
  const documentary = profile.provisions.filter((p) => p.attestation);
  if (documentary.length === 0) {
    io.out.write(`profile ${profile.id} has no documentary provisions to attest\n`);
    return 0;
  }
  if (!io.in) throw new BadInput("attest needs answers on standard input");

  const lines = createInterface({ input: io.in, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string | undefined> => {
    io.out.write(question);
    const next = await lines.next();
    if (next.done) return undefined;
    io.out.write(io.in && (io.in as NodeJS.ReadStream).isTTY ? "" : `${next.value}\n`);
    return next.value.trim();
  };

  const answers = new Map<string, Attestation>();
  io.out.write(`${documentary.length} documentary provisions of ${profile.id} for ${terminalSafe(device.id)}. Answer p (pass), f (fail) or n (not applicable); Enter keeps the current answer or skips.\n`);
  let ended = false;
  for (const [i, provision] of documentary.entries()) {
    const now = current[provision.id];
    io.out.write(`\n[${i + 1}/${documentary.length}] ${provision.id} (${provision.level}) ${provision.title}\n`);
    if (now) io.out.write(`  now: ${now.verdict}${now.note ? ` (${terminalSafe(now.note)})` : ""}\n`);
    let verdict: Attestation["verdict"] | undefined;
    for (;;) {
      const answer = await ask("  verdict [p/f/n]: ");
      if (answer === undefined) {
        ended = true;
        break;
      }
      if (answer === "") break;
      verdict = ANSWERS[answer.toLowerCase()];
      if (verdict) break;
      io.out.write(`  "${terminalSafe(answer)}" is not p, f or n\n`);
    }
    if (ended) break;
    if (!verdict) continue;
    const note = await ask("  note (what was reviewed): ");
    answers.set(provision.id, { verdict, ...(note ? { note } : {}), ...(flags.by ? { by: flags.by } : {}) });
    if (note === undefined) break;
  }

  if (answers.size === 0) {
    io.out.write(`\nnothing changed\n`);
    return 0;
  }
  const doc = targetDocument(target, device.id, separate);
  if (!isMap(doc.get("attestations"))) doc.set("attestations", doc.createNode({}));
  for (const [id, attestation] of answers) doc.setIn(["attestations", id], doc.createNode(attestation, { flow: true }));
  await writeFileAtomic(target, doc.toString());
  // What was written must load: a bad answer must never leave a descriptor that stops the next run.
  if (separate) await loadAttestationFile(target, device.id);
  else await loadDescriptor(target);
  io.out.write(`\n${answers.size} attestation${answers.size === 1 ? "" : "s"} saved in ${target}\n`);
  return 0;
}
