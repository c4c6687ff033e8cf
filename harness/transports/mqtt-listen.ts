// MQTT: connect, subscribe to topic filters, and listen for a fixed window. Never publishes.
// Framing and bounds are ours, over connectTcp (scope, pace, ledger, byte caps): the remaining
// length of each packet is read first and a packet announced bigger than the cap ends the
// session before its bytes are buffered, which mqtt.js cannot do (its parser buffers whatever a
// broker announces, up to 256 MB, and it has no limit on incoming packet size). Packets are
// coded by mqtt-packet, the codec mqtt.js itself uses; the CONNECT/CONNACK exchange is the
// credential check's (mqtt.ts).
import type mqttPacket from "mqtt-packet";
import { TransportError } from "../core/errors.js";
import { connackMeaning, mqttSession, packetFramer, type Connack, type MqttConnectOptions } from "./mqtt.js";
import { escapeBytes, type Link } from "./tcp.js";

export interface ListenOptions extends MqttConnectOptions {
  /** Topic filters to subscribe to, each at QoS 0 (so the broker asks for no acknowledgement). */
  filters: string[];
  /** How long to listen after the SUBACK. */
  windowMs: number;
  /** A packet announcing more than this ends the session (counted in `oversized`). */
  maxPacketBytes: number;
  /** Messages kept whole (topic, payload sample); later ones only counted. */
  maxMessages: number;
  /** Distinct topic names kept. */
  maxTopics: number;
  /** Payload bytes kept per message. */
  sampleBytes: number;
}

export interface MqttMessage {
  /** Escaped and bounded: device text. */
  topic: string;
  /** The first sampleBytes of the payload, raw. */
  sample: Buffer;
  bytes: number;
  retain: boolean;
}

export interface Listened {
  connack: Connack;
  /** SUBACK codes, one per filter in order (0-2 granted QoS; 0x80 and up refused). Absent: no SUBACK. */
  granted?: number[];
  messages: MqttMessage[];
  /** Every PUBLISH received, and the distinct topic names (up to maxTopics). */
  received: number;
  topics: string[];
  /** Why listening stopped. */
  end: "window" | "closed" | "oversized" | "malformed";
  /** Why, in a line, when it was not the window's end. */
  detail?: string;
}

const TOPIC_CHARS = 256;

/** mqtt-packet, loaded by the runs that subscribe to a broker (the start of every other run is spared it). */
const packets = async (): Promise<typeof mqttPacket> => (await import("mqtt-packet")).default;

/** Parse one whole packet with mqtt-packet; undefined when it is not valid MQTT. */
function decode(codec: typeof mqttPacket, packet: Buffer, version: number): mqttPacket.Packet | undefined {
  const parser = codec.parser({ protocolVersion: version });
  let out: mqttPacket.Packet | undefined;
  parser.on("packet", (p) => (out ??= p));
  parser.on("error", () => {});
  parser.parse(packet);
  return out;
}

/**
 * CONNECT, SUBSCRIBE to `filters` at QoS 0, and collect what the broker sends for `windowMs`.
 * Throws TransportError when the connection fails or no CONNACK comes; a refused CONNACK is
 * returned (no subscription is sent), as are a refused subscription and a session the broker ends.
 */
export async function mqttListen(link: Link, host: string, port: number, o: ListenOptions): Promise<Listened> {
  const { conn, connack } = await mqttSession(link, host, port, o);
  try {
    const result: Listened = { connack, messages: [], received: 0, topics: [], end: "closed" };
    if (connackMeaning(connack) !== "accepted") return result;

    const version = connack.version;
    const codec = await packets();
    await conn.write(codec.generate({ cmd: "subscribe", messageId: 1, subscriptions: o.filters.map((topic) => ({ topic, qos: 0 as const })) }, { protocolVersion: version }));
    const topics = new Set<string>();
    const frame = packetFramer(o.maxPacketBytes);
    const deadline = performance.now() + o.windowMs;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) {
        result.end = "window";
        break;
      }
      let read;
      try {
        read = await conn.readUntil(frame, { maxBytes: o.maxPacketBytes, timeoutMs: left });
      } catch (err) {
        if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
        result.end = err.kind === "too-large" ? "oversized" : err.kind === "protocol" ? "malformed" : "closed";
        result.detail = err.message;
        break;
      }
      if (read.end === "timeout") {
        result.end = "window";
        break;
      }
      if (read.end !== "match") {
        result.end = "closed";
        break;
      }
      const packet = decode(codec, read.data, version);
      if (!packet) {
        result.end = "malformed";
        result.detail = `not an MQTT packet: ${escapeBytes(read.data, 32)}`;
        break;
      }
      if (packet.cmd === "suback") // mqtt-packet gives the SUBACK codes as numbers
        result.granted ??= (packet.granted as unknown[]).map((g) => (typeof g === "number" ? g : -1));
      else if (packet.cmd === "publish") {
        result.received++;
        const topic = escapeBytes(Buffer.from(packet.topic, "utf8"), TOPIC_CHARS);
        if (topics.size < o.maxTopics) topics.add(topic);
        const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload, "utf8") : packet.payload;
        if (result.messages.length < o.maxMessages) {
          result.messages.push({ topic, sample: Buffer.from(payload.subarray(0, o.sampleBytes)), bytes: payload.length, retain: packet.retain });
        }
      } else if (packet.cmd === "disconnect") {
        result.end = "closed";
        result.detail = "the broker sent DISCONNECT";
        break;
      }
    }
    result.topics = [...topics];
    await conn.write(Buffer.from([0xe0, 0x00])).catch(() => {});
    return result;
  } finally {
    conn.close();
  }
}
