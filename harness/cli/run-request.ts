// One place that turns a command's flags and files into what a run of one device is given, for
// `run` and `campaign` alike: the options the checks read, and the files they came from (by hash)
// for the audit record. What every device shares is read once; what is per device (descriptor,
// siblings, attestations, MQTT observation, MUD capture) is read for each.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputTooLarge, readInputFile } from "../core/input-file.js";
import type { RunInputs } from "../core/audit.js";
import { fileSource } from "../core/file-source.js";
import { isPaceName, Pace, type PaceName } from "../core/pace.js";
import { planRun } from "../core/plan.js";
import type { RunOptions } from "../core/types.js";
import { builtinRegistry } from "../checks/index.js";
import { OBSERVATION_FILE, readObservation } from "../observe/mqtt-observation.js";
import { loadAttestationFileWithSource, loadDescriptorWithSource, type SourceFile } from "../schema/load.js";
import { loadSiblings } from "../schema/siblings.js";
import type { Descriptor, Profile } from "../schema/types.js";
import type { FolderRun } from "./certify-to-folder.js";
import { readCredentialsFile } from "./credentials-file.js";
import { BadInput } from "./io.js";
import { DEFAULT_PROFILE, resolveProfileWithSources } from "./profiles-source.js";

/** The flags `run` and `campaign` share. */
export interface RunInputFlags {
  profile?: string;
  pace?: string;
  only?: string;
  redact?: boolean;
  allowFragile?: boolean;
  stateChanging?: boolean;
  mudTrust?: string[];
  credentials?: string;
  updateTrust?: string[];
}

/** What every device of a command is run with, read once. */
export interface SharedRun {
  profile: Profile;
  paceName: PaceName;
  only?: string[];
  redact: boolean;
  options: RunOptions;
  inputs: RunInputs;
}

/** One device's descriptor as a run reads it: its attestation file's verdicts over its own, its sibling files loaded. */
export interface LoadedDevice {
  file: string;
  device: Descriptor;
  source: SourceFile;
  siblings: Awaited<ReturnType<typeof loadSiblings>>;
  attestations?: SourceFile;
}

/** The per-device files a run reads besides the descriptor. */
export interface DeviceFiles {
  out: string;
  /** --mqtt-observation; absent: mqtt-observation.json in `out`, when there. */
  mqttObservation?: string;
  /** --mud-capture; absent: a MUD_CAPTURE_FILES file in `out`, when `captureFromFolder`. */
  mudCapture?: string;
  captureFromFolder?: boolean;
  reportUrl?: string;
}

/** Where a campaign finds each device's capture for the mud.* checks: in its own folder. */
export const MUD_CAPTURE_FILES = ["mud-capture.pcapng", "mud-capture.pcap"];

/** The --mud-trust (or --update-trust) files as PEM text; a file that is missing or holds no certificate is bad input. */
async function readTrustAnchors(files: string[], flag: string): Promise<{ pems: string[]; sources: SourceFile[] }> {
  const { trustAnchorsIn } = await import("../mud/signature.js");
  const read = await Promise.all(files.map(async (file) => {
    const bytes = await readInputFile(file).catch((err: Error) => { throw new BadInput(`${flag} ${err instanceof InputTooLarge ? err.message : `${file}: ${err.message}`}`); });
    try {
      if (trustAnchorsIn(bytes).length === 0) throw new Error("no certificate in it");
    } catch (err) {
      throw new BadInput(`${flag} ${file}: ${(err as Error).message}`);
    }
    return { pem: bytes.toString("utf8"), source: await fileSource(file) };
  }));
  return { pems: read.map((r) => r.pem), sources: read.map((r) => r.source) };
}

async function sourceOf(file: string, flag: string): Promise<SourceFile> {
  return fileSource(file).catch((err: Error) => { throw new BadInput(`${flag} ${file}: ${err.message}`); });
}

export async function readSharedRun(flags: RunInputFlags): Promise<SharedRun> {
  const paceName = flags.pace ?? "normal";
  if (!isPaceName(paceName)) throw new BadInput(`--pace must be gentle, normal or fast, not "${paceName}"`);
  const { profile, sources } = await resolveProfileWithSources(flags.profile ?? DEFAULT_PROFILE);
  const only = flags.only?.split(",").map((s) => s.trim()).filter(Boolean);
  // An --only that selects nothing, or a profile naming unknown checks, stops here.
  planRun(profile, builtinRegistry(), only);
  const mudTrust = flags.mudTrust?.length ? await readTrustAnchors(flags.mudTrust, "--mud-trust") : undefined;
  const updateTrust = flags.updateTrust?.length ? await readTrustAnchors(flags.updateTrust, "--update-trust") : undefined;
  const credentials = flags.credentials === undefined ? undefined : await readCredentialsFile(flags.credentials);
  return {
    profile, paceName, redact: !!flags.redact,
    ...(only ? { only } : {}),
    options: {
      allowFragile: !!flags.allowFragile,
      stateChanging: !!flags.stateChanging,
      ...(mudTrust ? { mudTrustAnchors: mudTrust.pems } : {}),
      ...(credentials ? { extraCredentials: credentials } : {}),
      ...(updateTrust ? { updateTrustAnchors: updateTrust.pems } : {}),
    },
    inputs: {
      profile: sources,
      redact: !!flags.redact,
      ...(mudTrust ? { mudTrust: mudTrust.sources } : {}),
      ...(updateTrust ? { updateTrust: updateTrust.sources } : {}),
      ...(flags.credentials !== undefined ? { credentials: await sourceOf(flags.credentials, "--credentials") } : {}),
    },
  };
}

/**
 * Load a descriptor with its siblings and its attestation file, when `attestationsFor` names one
 * for the device's id (the file must be about it).
 */
export async function loadDevice(file: string, attestationsFor: (id: string) => string | undefined = () => undefined): Promise<LoadedDevice> {
  const { descriptor: loaded, source } = await loadDescriptorWithSource(file);
  const attestationsFile = attestationsFor(loaded.id);
  const attestations = attestationsFile === undefined ? undefined : await loadAttestationFileWithSource(attestationsFile, loaded.id);
  // The file's verdicts over the descriptor's own, as the later and separate record.
  const device = attestations ? { ...loaded, attestations: { ...loaded.attestations, ...attestations.attestations } } : loaded;
  return { file, device, source, siblings: await loadSiblings(device, file), ...(attestations ? { attestations: attestations.source } : {}) };
}

/** The MQTT observation for mqtt.observe: the file given, else the one in the output folder. */
async function observation(files: DeviceFiles, err: NodeJS.WritableStream) {
  const file = files.mqttObservation ?? join(files.out, OBSERVATION_FILE);
  if (files.mqttObservation === undefined && !existsSync(file)) return undefined;
  try {
    const value = await readObservation(file);
    err.write(`using the MQTT observation in ${file} (${value.startedAt} to ${value.finishedAt})\n`);
    return { value, source: await fileSource(file) };
  } catch (e) {
    throw new BadInput(`--mqtt-observation ${file}: ${(e as Error).message}`);
  }
}

function captureFile(files: DeviceFiles): string | undefined {
  if (files.mudCapture !== undefined || !files.captureFromFolder) return files.mudCapture;
  return MUD_CAPTURE_FILES.map((name) => join(files.out, name)).find((f) => existsSync(f));
}

/** Everything certifyToFolder needs for one device but the signal and the progress callback. */
export async function folderRun(shared: SharedRun, unit: LoadedDevice, files: DeviceFiles, err: NodeJS.WritableStream): Promise<Omit<FolderRun, "signal">> {
  const observed = await observation(files, err);
  const capture = captureFile(files);
  return {
    device: unit.device,
    profile: shared.profile,
    out: files.out,
    pace: Pace.named(shared.paceName),
    options: {
      ...shared.options,
      ...(unit.siblings.length ? { siblings: unit.siblings } : {}),
      ...(observed ? { mqttObservation: observed.value } : {}),
      ...(capture !== undefined ? { mudCapture: capture } : {}),
    },
    inputs: {
      ...shared.inputs,
      descriptor: unit.source,
      ...(unit.attestations ? { attestations: unit.attestations } : {}),
      ...(observed ? { mqttObservation: observed.source } : {}),
      ...(capture !== undefined ? { mudCapture: await sourceOf(capture, "--mud-capture") } : {}),
      ...(files.reportUrl ? { reportUrl: files.reportUrl } : {}),
    },
    redact: shared.redact,
    ...(shared.only ? { only: shared.only } : {}),
    ...(files.reportUrl ? { reportUrl: files.reportUrl } : {}),
  };
}
