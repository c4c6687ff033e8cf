// The contracts every check, transport and writer shares (see ../shared/design.md, "Contracts").
import type { Logger } from "pino";
import type { Sibling } from "../schema/siblings.js";
import type { Descriptor, Profile } from "../schema/types.js";
import type { FactStore, FactKey } from "./facts.js";
import type { Scope } from "./scope.js";
import type { Pace } from "./pace.js";
import type { Evidence } from "./evidence.js";
import type { MqttObservation } from "../observe/mqtt-observation.js";

export type Transport = "ip" | "mqtt" | "coap" | "ble" | "serial";
export type Verdict = "pass" | "fail" | "inconclusive" | "not-applicable" | "error";
export type Severity = "critical" | "high" | "medium" | "low" | "info";
export type Effect = "observe" | "intrusive" | "state-changing";

export interface Target {
  transport: "tcp" | "udp" | "mqtt" | "coap" | "ble" | "serial";
  address?: string;
  port?: number;
  service?: string;
}

/**
 * What a check reports. Secrets never go into `title`: they belong in `evidence` under a key
 * that harness/data/secret-keys.yaml names, so `--redact` can hide them.
 */
export interface FindingInput {
  severity: Severity;
  title: string;
  target?: Target;
  evidence?: Record<string, unknown>;
}

export interface Finding extends FindingInput {
  check: string;
}

export interface Outcome {
  verdict: Verdict;
  summary: string;
  findings?: FindingInput[];
  evidence?: Record<string, unknown>;
}

/** One line of `--dry-run`: what a check would send, before anything is sent. */
export interface PlannedProbe {
  address: string;
  port: number | string;
  protocol: string;
  count: number | string;
  note?: string;
}

export interface RunOptions {
  /** Send payloads to ports listed as fragile (raw print and the like). */
  allowFragile: boolean;
  /** Let state-changing checks run (the profile must name them too). */
  stateChanging: boolean;
  /** Credentials the user passed in addition to the built-in lists. */
  extraCredentials?: { username: string; password: string }[];
  /** PEM text of the lab's trust anchors for MUD file signatures (--mud-trust). */
  mudTrustAnchors?: string[];
  /** A pcap/pcapng capture of the device's traffic, for the mud.* checks (--mud-capture). */
  mudCapture?: string;
  /** The sibling descriptor files the device's descriptor names, loaded (inline siblings need none). */
  siblings?: Sibling[];
  /** What `iotcert observe mqtt` saw the device do, for mqtt.observe. */
  mqttObservation?: MqttObservation;
  /** PEM text of the trust anchors that update servers' certificates must chain to (--update-trust); absent: Node's roots. */
  updateTrustAnchors?: string[];
}

export interface CheckContext {
  readonly checkId: string;
  readonly device: Descriptor;
  readonly profile: Profile;
  readonly scope: Scope;
  readonly pace: Pace;
  readonly log: Logger;
  readonly facts: FactStore;
  readonly evidence: Evidence;
  readonly signal: AbortSignal;
  readonly options: RunOptions;
  /** Say what a long check is doing now ("port 1200 of 65535"); shown on the progress line. */
  readonly progress: (detail: string) => void;
}

export interface Check {
  /** family.name, stable forever; the file under harness/checks/<family>/ is named after it. */
  id: string;
  title: string;
  /** What it tests and how; the first sentence stands alone (shown by `iotcert checks`). */
  description: string;
  effect: Effect;
  needs: Transport[];
  consumes?: FactKey[];
  produces?: FactKey[];
  /** Longer than the engine's default limit, for checks that scan or brute-force. */
  timeoutMs?: number;
  /** The probes this check would send to the device, for `--dry-run`. */
  plan(device: Descriptor, pace: Pace): PlannedProbe[];
  run(ctx: CheckContext): Promise<Outcome>;
}
