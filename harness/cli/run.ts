// iotcert run <device.yaml>: certify one device and write its report folder.
import { existsSync } from "node:fs";
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import { InputTooLarge, readInputFile } from "../core/input-file.js";
import { isPaceName, Pace } from "../core/pace.js";
import { planRun } from "../core/plan.js";
import { builtinRegistry } from "../checks/index.js";
import { meetsLevel, NO_LABEL } from "../grading/grade.js";
import { loadAttestationFile, loadDescriptorWithSource } from "../schema/load.js";
import { loadSiblings } from "../schema/siblings.js";
import { certifyToFolder } from "./certify-to-folder.js";
import { readCredentialsFile } from "./credentials-file.js";
import { printDryRun } from "./dry-run.js";
import { abortOnInterrupt } from "./interrupt.js";
import { OBSERVATION_FILE, readObservation, type MqttObservation } from "../observe/mqtt-observation.js";
import { BadInput, type Io } from "./io.js";
import { ProgressLine } from "./progress-line.js";
import { DEFAULT_PROFILE, resolveProfileWithSources } from "./profiles-source.js";
import { printOutcome } from "./print-outcome.js";

export interface RunFlags {
  profile?: string;
  out?: string;
  pace?: string;
  only?: string;
  require?: string;
  redact?: boolean;
  dryRun?: boolean;
  verbose?: boolean;
  allowFragile?: boolean;
  stateChanging?: boolean;
  mudTrust?: string[];
  mudCapture?: string;
  credentials?: string;
  mqttObservation?: string;
  updateTrust?: string[];
  reportUrl?: string;
  attestations?: string;
}

/** A published report's address: http(s) only, since it goes into a QR code people will open. */
export function checkReportUrl(url: string, flag: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadInput(`${flag} ${url}: not a URL`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new BadInput(`${flag} ${url}: must be an http or https URL`);
  return parsed.href;
}

/**
 * The MQTT observation for mqtt.observe: the file given, else the one `iotcert observe mqtt
 * --device` left in the output folder. A given file that cannot be read is bad input.
 */
async function mqttObservation(flags: RunFlags, out: string, err: NodeJS.WritableStream): Promise<MqttObservation | undefined> {
  const file = flags.mqttObservation ?? join(out, OBSERVATION_FILE);
  if (!flags.mqttObservation && !existsSync(file)) return undefined;
  try {
    const observation = await readObservation(file);
    err.write(`using the MQTT observation in ${file} (${observation.startedAt} to ${observation.finishedAt})\n`);
    return observation;
  } catch (e) {
    throw new BadInput(`--mqtt-observation ${file}: ${(e as Error).message}`);
  }
}

/** The --mud-trust (or --update-trust) files as PEM text; a file that is missing or holds no certificate is bad input. */
async function readTrustAnchors(files: string[], flag = "--mud-trust"): Promise<string[]> {
  const { trustAnchorsIn } = await import("../mud/signature.js");
  return Promise.all(files.map(async (file) => {
    const text = await readInputFile(file).catch((err: Error) => { throw new BadInput(`${flag} ${err instanceof InputTooLarge ? err.message : `${file}: ${err.message}`}`); });
    try {
      if (trustAnchorsIn(text).length === 0) throw new Error("no certificate in it");
    } catch (err) {
      throw new BadInput(`${flag} ${file}: ${(err as Error).message}`);
    }
    return text.toString("utf8");
  }));
}

/** sha256 of a file streamed from disk (a capture may be large). */
async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash).catch((err: Error) => { throw new BadInput(`${file}: ${err.message}`); });
  return hash.digest("hex");
}

export async function runCommand(file: string, flags: RunFlags, io: Io): Promise<number> {
  const paceName = flags.pace ?? "normal";
  if (!isPaceName(paceName)) throw new BadInput(`--pace must be gentle, normal or fast, not "${paceName}"`);
  const { descriptor: loaded, source } = await loadDescriptorWithSource(file);
  // The file's verdicts over the descriptor's own, as the later and separate record.
  const device = flags.attestations
    ? { ...loaded, attestations: { ...loaded.attestations, ...(await loadAttestationFile(flags.attestations, loaded.id)) } }
    : loaded;
  const siblings = await loadSiblings(device, file);
  const { profile, sources } = await resolveProfileWithSources(flags.profile ?? DEFAULT_PROFILE);
  if (flags.require && flags.require !== NO_LABEL && !profile.levels.includes(flags.require)) {
    throw new BadInput(`--require ${flags.require}: profile ${profile.id} has levels ${profile.levels.join(", ")}`);
  }
  const reportUrl = flags.reportUrl === undefined ? undefined : checkReportUrl(flags.reportUrl, "--report-url");
  const only = flags.only?.split(",").map((s) => s.trim()).filter(Boolean);
  const pace = Pace.named(paceName);
  const plan = planRun(profile, builtinRegistry(), only);

  if (flags.dryRun) {
    printDryRun(plan, device, pace, io.out);
    return 0;
  }

  const out = flags.out ?? join("iotcert-out", device.id);
  const observation = await mqttObservation(flags, out, io.err);
  const progress = new ProgressLine(io.err as NodeJS.WriteStream);
  const interrupt = abortOnInterrupt(io.err);
  try {
    const { report, files } = await certifyToFolder({
      device, profile, out, pace,
      options: {
        allowFragile: !!flags.allowFragile,
        stateChanging: !!flags.stateChanging,
        ...(flags.mudTrust?.length ? { mudTrustAnchors: await readTrustAnchors(flags.mudTrust) } : {}),
        ...(flags.mudCapture ? { mudCapture: flags.mudCapture } : {}),
        ...(flags.credentials ? { extraCredentials: await readCredentialsFile(flags.credentials) } : {}),
        ...(siblings.length ? { siblings } : {}),
        ...(observation ? { mqttObservation: observation } : {}),
        ...(flags.updateTrust?.length ? { updateTrustAnchors: await readTrustAnchors(flags.updateTrust, "--update-trust") } : {}),
      },
      signal: interrupt.signal,
      inputs: {
        descriptor: source,
        profile: sources,
        ...(flags.mudCapture ? { mudCaptureSha256: await fileSha256(flags.mudCapture) } : {}),
        ...(flags.attestations ? { attestations: { path: flags.attestations, sha256: await fileSha256(flags.attestations) } } : {}),
      },
      redact: !!flags.redact,
      ...(reportUrl ? { reportUrl } : {}),
      verbose: !!flags.verbose,
      ...(only ? { only } : {}),
      ...(flags.verbose ? {} : { onProgress: (p) => progress.update(p) }),
    });
    progress.clear();
    printOutcome(report, files, io.out);
    if (!report.complete) return 3;
    if (flags.require && !meetsLevel(profile, report.label.level, flags.require)) {
      io.err.write(`label ${report.label.level} is below the required ${flags.require}\n`);
      return 1;
    }
    return 0;
  } finally {
    progress.clear();
    interrupt.dispose();
  }
}
