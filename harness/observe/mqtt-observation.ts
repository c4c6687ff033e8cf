// What `iotcert observe mqtt` saw devices do on the harness's own broker, as written to
// mqtt-observation.json and read back by mqtt.observe in a following run.
import { readFile } from "node:fs/promises";

export const OBSERVATION_SCHEMA = "iotcert/mqtt-observation@1";
export const OBSERVATION_FILE = "mqtt-observation.json";

export interface ObservedLeak {
  topic: string;
  retain: boolean;
  /** boot-log-secrets.yaml pattern: what it is, and the evidence key its value goes under. */
  pattern: string;
  title: string;
  severity: "critical" | "high" | "medium" | "low" | "info";
  key: string;
  value: string;
  context: string;
}

/** One client connection to the observation broker. Device text is escaped and bounded. */
export interface ObservedSession {
  /** The client's IP address (IPv4-mapped IPv6 unwrapped). */
  address: string;
  /** The descriptor id of the unit at that address, when observe was told the units. */
  unit?: string;
  transport: "mqtt" | "mqtts";
  tlsProtocol?: string;
  /** The certificate the client presented, if any. */
  clientCertificate?: { subject: string; sha256: string };
  clientId: string;
  protocolVersion: number;
  username?: string;
  password?: string;
  connectedAt: string;
  /** Distinct topic names the client published to (bounded), and how many messages. */
  topics: string[];
  published: number;
  retained: { topic: string; bytes: number; sample: string }[];
  secrets: ObservedLeak[];
  /** The session was cut for sending more than the byte cap. */
  cut?: boolean;
}

export interface MqttObservation {
  schema: typeof OBSERVATION_SCHEMA;
  startedAt: string;
  finishedAt: string;
  listeners: { mqtt?: string; mqtts?: string };
  sessions: ObservedSession[];
}

/** Read an observation file; throws an Error saying what is wrong with it. */
export async function readObservation(file: string): Promise<MqttObservation> {
  const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<MqttObservation>;
  if (parsed?.schema !== OBSERVATION_SCHEMA) throw new Error(`not an MQTT observation (expected "schema": "${OBSERVATION_SCHEMA}")`);
  if (!Array.isArray(parsed.sessions) || typeof parsed.startedAt !== "string") throw new Error("an MQTT observation without sessions or start time");
  return parsed as MqttObservation;
}
