// What a second lab needs to repeat a run exactly: the files it was given (by hash), the runtime,
// the pace in full (a preset may be overridden) and the options that change what is sent.
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
  /** The separate attestation file (run --attestations), when one was given. */
  attestations?: InputRecord;
  pace: PaceSettings;
  options: { allowFragile: boolean; stateChanging: boolean; only?: string[]; mudTrustAnchorsSha256?: string[]; mudCaptureSha256?: string };
}

export interface RunInputs {
  descriptor?: SourceFile;
  profile?: SourceFile[];
  /** sha256 of the --mud-capture file, when one was given. */
  mudCaptureSha256?: string;
  attestations?: SourceFile;
}

function fromFile(source: SourceFile): InputRecord {
  return { path: source.path, sha256: source.sha256, hashOf: "file" };
}

function inMemory(what: string, value: unknown): InputRecord {
  return { path: `(${what}, built in memory)`, sha256: sha256Hex(canonicalJson(value)), hashOf: "canonical-json" };
}

export function auditRecord(device: Descriptor, profile: Profile, pace: PaceSettings, options: RunOptions, only: string[] | undefined, inputs: RunInputs = {}): Audit {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    descriptor: inputs.descriptor ? fromFile(inputs.descriptor) : inMemory(`descriptor ${device.id}`, device),
    profile: inputs.profile?.length ? inputs.profile.map(fromFile) : [inMemory(`profile ${profile.id}`, profile)],
    ...(inputs.attestations ? { attestations: fromFile(inputs.attestations) } : {}),
    pace: { ...pace },
    options: {
      allowFragile: options.allowFragile,
      stateChanging: options.stateChanging,
      ...(only ? { only } : {}),
      ...(options.mudTrustAnchors?.length ? { mudTrustAnchorsSha256: options.mudTrustAnchors.map((pem) => sha256Hex(pem)) } : {}),
      ...(inputs.mudCaptureSha256 ? { mudCaptureSha256: inputs.mudCaptureSha256 } : {}),
    },
  };
}
