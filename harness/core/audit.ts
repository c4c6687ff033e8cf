// What a second lab needs to repeat a run exactly: every input it was given (files by hash, values
// built in memory by the hash of their canonical JSON), the runtime, the pace in full (a preset
// may be overridden), the options that change what is sent and those that change the reports.
import type { SourceFile } from "../schema/load.js";
import type { Descriptor, Profile } from "../schema/types.js";
import { canonicalJson, sha256Hex } from "./canonical.js";
import type { PaceSettings } from "./pace.js";
import type { RunOptions } from "./types.js";

/** An input of the run: a file by the hash of its bytes, or a value built in memory by the hash of its RFC 8785 form. */
export interface InputRecord {
  path: string;
  sha256: string;
  hashOf: "file" | "canonical-json";
}

export interface Audit {
  node: string;
  platform: string;
  descriptor: InputRecord;
  /** The profile file first, then each profile it extends. */
  profile: InputRecord[];
  /** The separate attestation file (--attestations), when one was given. */
  attestations?: InputRecord;
  /** The descriptor files of the sibling units the descriptor names (inline siblings are in the descriptor). */
  siblings?: InputRecord[];
  /** The user's credential list (--credentials). */
  credentials?: InputRecord;
  /** Trust anchors for MUD file signatures (--mud-trust), and for the update servers (--update-trust). */
  mudTrust?: InputRecord[];
  updateTrust?: InputRecord[];
  /** The capture the mud.* checks read (--mud-capture). */
  mudCapture?: InputRecord;
  /** What `iotcert observe mqtt` recorded, read by mqtt.observe. */
  mqttObservation?: InputRecord;
  pace: PaceSettings;
  options: { allowFragile: boolean; stateChanging: boolean; only?: string[] };
  /** How the report files were written: secrets hidden (--redact), the published address on the label. Absent from reports of earlier versions. */
  output?: { redact: boolean; reportUrl?: string };
}

/** The files the inputs came from; an input given as a value without its file is recorded in memory. */
export interface RunInputs {
  descriptor?: SourceFile;
  profile?: SourceFile[];
  attestations?: SourceFile;
  credentials?: SourceFile;
  mudTrust?: SourceFile[];
  updateTrust?: SourceFile[];
  mudCapture?: SourceFile;
  mqttObservation?: SourceFile;
  redact?: boolean;
  reportUrl?: string;
}

function fromFile(source: SourceFile): InputRecord {
  return { path: source.path, sha256: source.sha256, hashOf: "file" };
}

function inMemory(what: string, value: unknown): InputRecord {
  return { path: `(${what}, built in memory)`, sha256: sha256Hex(canonicalJson(value)), hashOf: "canonical-json" };
}

/** The file's record, else the value's, else nothing: an input absent from the run is absent here. */
function recordOf(file: SourceFile | undefined, what: string, value: unknown): InputRecord | undefined {
  return file ? fromFile(file) : value === undefined ? undefined : inMemory(what, value);
}

function recordsOf(files: SourceFile[] | undefined, what: string, values: string[] | undefined): InputRecord[] | undefined {
  if (files?.length) return files.map(fromFile);
  return values?.length ? values.map((v, i) => inMemory(`${what} ${i + 1}`, v)) : undefined;
}

export function auditRecord(device: Descriptor, profile: Profile, pace: PaceSettings, options: RunOptions, only: string[] | undefined, inputs: RunInputs = {}): Audit {
  const optional = {
    attestations: inputs.attestations && fromFile(inputs.attestations),
    siblings: options.siblings?.flatMap((s) => (s.source ? [fromFile(s.source)] : [])),
    credentials: recordOf(inputs.credentials, "credential list", options.extraCredentials),
    mudTrust: recordsOf(inputs.mudTrust, "MUD trust anchor", options.mudTrustAnchors),
    updateTrust: recordsOf(inputs.updateTrust, "update trust anchor", options.updateTrustAnchors),
    mudCapture: inputs.mudCapture && fromFile(inputs.mudCapture),
    mqttObservation: recordOf(inputs.mqttObservation, "MQTT observation", options.mqttObservation),
  };
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    descriptor: inputs.descriptor ? fromFile(inputs.descriptor) : inMemory(`descriptor ${device.id}`, device),
    profile: inputs.profile?.length ? inputs.profile.map(fromFile) : [inMemory(`profile ${profile.id}`, profile)],
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined && (!Array.isArray(v) || v.length > 0))),
    pace: { ...pace },
    options: {
      allowFragile: options.allowFragile,
      stateChanging: options.stateChanging,
      ...(only ? { only } : {}),
    },
    output: { redact: !!inputs.redact, ...(inputs.reportUrl ? { reportUrl: inputs.reportUrl } : {}) },
  };
}
