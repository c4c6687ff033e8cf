// MQTT: one CONNECT, one CONNACK, DISCONNECT. Built by hand over connectTcp (scope, pace, ledger,
// fragile ports, byte caps all apply): a login test needs only these three packets, and mqtt.js
// wants a raw stream (it would bypass TcpConnection's bounds) and brings reconnects and keepalive
// timers that a credential probe must not have. Nothing is ever published or subscribed.
import { randomBytes } from "node:crypto";
import { TransportError } from "../core/errors.js";
import { connectTcp, escapeBytes, type Link, type TcpConnection } from "./tcp.js";

export type MqttVersion = 4 | 5;

export interface MqttConnectOptions {
  tls: boolean;
  version: MqttVersion;
  /** Both undefined: an anonymous CONNECT (no user name flag, no password flag). */
  username?: string;
  password?: string;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
}

export interface Connack {
  version: MqttVersion;
  /** The CONNACK return code (3.1.1) or reason code (5). */
  code: number;
  sessionPresent: boolean;
}

/** How a CONNACK code bears on a login: accepted, refused for the credentials, or neither. */
export function connackMeaning(ack: Connack): "accepted" | "bad-credentials" | "not-authorized" | "bad-version" | "other" {
  if (ack.code === 0) return "accepted";
  if (ack.version === 4) {
    return ack.code === 4 ? "bad-credentials" : ack.code === 5 ? "not-authorized" : ack.code === 1 ? "bad-version" : "other";
  }
  return ack.code === 0x86 ? "bad-credentials" : ack.code === 0x87 ? "not-authorized" : ack.code === 0x84 ? "bad-version" : "other";
}

const str = (s: string) => {
  const b = Buffer.from(s, "utf8");
  if (b.length > 0xffff) throw new TransportError("protocol", "MQTT string longer than 65535 bytes");
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** The CONNECT packet (MQTT 3.1.1 §3.1, MQTT 5 §3.1): clean session, 30 s keepalive, no will. */
export function connectPacket(o: Pick<MqttConnectOptions, "version" | "username" | "password">, clientId: string): Buffer {
  let flags = 0x02;
  const payload: Buffer[] = [str(clientId)];
  if (o.username !== undefined || o.password !== undefined) {
    // 3.1.1 forbids a password without a user name: an empty user name carries a password-only pair
    flags |= 0x80;
    payload.push(str(o.username ?? ""));
    if (o.password !== undefined) {
      flags |= 0x40;
      payload.push(str(o.password));
    }
  }
  const header: Buffer[] = [str("MQTT"), Buffer.from([o.version, flags, 0, 30])];
  if (o.version === 5) header.push(varint(0)); // no properties
  const body = Buffer.concat([...header, ...payload]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

/**
 * A readUntil test: the length of the complete packet at the start of `b`, -1 while more bytes are
 * needed; throws on a nonsense length, and on one that announces more than `max` bytes.
 */
export function packetFramer(max = Infinity): (b: Buffer) => number {
  return (b) => {
    if (b.length < 2) return -1;
    let len = 0;
    let mult = 1;
    for (let i = 1; i <= 4; i++) {
      if (b.length <= i) return -1;
      len += (b[i]! & 0x7f) * mult;
      if ((b[i]! & 0x80) === 0) {
        if (1 + i + len > max) throw new TransportError("too-large", `a packet of ${1 + i + len} bytes announced (cap ${max})`);
        return b.length >= 1 + i + len ? 1 + i + len : -1;
      }
      mult *= 128;
    }
    throw new TransportError("protocol", `malformed MQTT remaining length: ${escapeBytes(b.subarray(0, 8))}`);
  };
}

const packetLength = packetFramer();

/** Parse a CONNACK (whole packet); anything else is a protocol error, never a login answer. */
export function parseConnack(p: Buffer, version: MqttVersion): Connack {
  let i = 1;
  while (p[i]! & 0x80) i++;
  const body = p.subarray(i + 1);
  const bad = () => new TransportError("protocol", `not a CONNACK: ${escapeBytes(p, 64)}`);
  if (p[0] !== 0x20 || body.length < 2 || (body[0]! & 0xfe) !== 0) throw bad();
  // A 3.1.1 CONNACK is exactly 2 bytes; a 5 one carries properties (a 3.1.1-only broker may answer a v5 CONNECT the short way)
  if (version === 4 && body.length !== 2) throw bad();
  return { version: body.length === 2 && version === 5 ? 5 : version, code: body[1]!, sessionPresent: (body[0]! & 1) === 1 };
}

const MAX_CONNACK = 4096;

/**
 * The start of every session: connect (TLS when asked), send CONNECT and read the CONNACK. The
 * caller closes the connection. Throws TransportError: the connection failing, no CONNACK within
 * the time, or something else coming back (kind "protocol"). A CONNACK of any code is returned.
 */
export async function mqttSession(link: Link, host: string, port: number, o: MqttConnectOptions): Promise<{ conn: TcpConnection; connack: Connack }> {
  let conn = await connectTcp(link, host, port, o.connectTimeoutMs);
  try {
    if (o.tls) conn = (await conn.startTls({ timeoutMs: o.connectTimeoutMs })).connection;
    await conn.write(connectPacket(o, `iotcert-${randomBytes(4).toString("hex")}`));
    const read = await conn.readUntil(packetFramer(MAX_CONNACK), { maxBytes: MAX_CONNACK, timeoutMs: o.replyTimeoutMs });
    if (read.end !== "match") {
      if (read.end === "timeout" && read.data.length === 0) {
        throw conn.timedOut(`${host}:${port}: no CONNACK within ${o.replyTimeoutMs} ms`);
      }
      throw new TransportError(read.end === "closed" && read.data.length === 0 ? "closed" : "protocol",
        `${host}:${port}: no complete CONNACK (${read.end}; got "${escapeBytes(read.data, 64)}")`);
    }
    return { conn, connack: parseConnack(read.data, o.version) };
  } catch (err) {
    conn.close();
    throw err;
  }
}

/** CONNECT to an MQTT broker and read its CONNACK, then DISCONNECT (when accepted) and close. Throws as mqttSession does. */
export async function mqttConnect(link: Link, host: string, port: number, o: MqttConnectOptions): Promise<Connack> {
  const { conn, connack } = await mqttSession(link, host, port, o);
  try {
    if (connack.code === 0) await conn.write(Buffer.from([0xe0, 0x00])).catch(() => {});
    return connack;
  } finally {
    conn.close();
  }
}

/** A SUBSCRIBE for one topic filter at QoS 0 (MQTT 3.1.1 §3.8, MQTT 5 §3.8). */
export function subscribePacket(version: MqttVersion, packetId: number, topic: string): Buffer {
  const body = Buffer.concat([Buffer.from([packetId >> 8, packetId & 0xff]), ...(version === 5 ? [varint(0)] : []), str(topic), Buffer.from([0])]);
  return Buffer.concat([Buffer.from([0x82]), varint(body.length), body]);
}

/** Topic and payload of a whole PUBLISH packet; undefined for any other packet. */
export function parsePublish(p: Buffer, version: MqttVersion): { topic: string; payload: Buffer } | undefined {
  if (p[0]! >> 4 !== 3) return undefined;
  const qos = (p[0]! >> 1) & 3;
  let i = 1;
  while (p[i]! & 0x80) i++;
  let at = i + 1;
  const topicLength = p.readUInt16BE(at);
  const topic = p.subarray(at + 2, at + 2 + topicLength).toString("utf8");
  at += 2 + topicLength + (qos > 0 ? 2 : 0);
  if (version === 5) {
    // Skip the properties: a variable byte integer length, then that many bytes
    let len = 0;
    let mult = 1;
    for (;;) {
      const byte = p[at++]!;
      len += (byte & 0x7f) * mult;
      if ((byte & 0x80) === 0) break;
      mult *= 128;
    }
    at += len;
  }
  return { topic, payload: p.subarray(at) };
}

/**
 * Subscribe to `topic` and return the payload of the first message on it (a retained one comes at
 * once), or undefined when none comes within `waitMs`. Reads are capped at `maxBytes` per packet.
 * Throws TransportError when the broker cannot be reached or refuses the CONNECT.
 */
export async function mqttReadTopic(
  link: Link,
  host: string,
  port: number,
  o: MqttConnectOptions & { topic: string; waitMs: number; maxBytes: number },
): Promise<Buffer | undefined> {
  const { conn, connack } = await mqttSession(link, host, port, o);
  try {
    if (connack.code !== 0) throw new TransportError("protocol", `${host}:${port}: the broker refused the CONNECT (code ${connack.code})`);
    await conn.write(subscribePacket(o.version, 1, o.topic));
    const deadline = performance.now() + o.waitMs;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      const packet = await conn.readUntil(packetLength, { maxBytes: o.maxBytes, timeoutMs: left });
      if (packet.end === "timeout") return undefined;
      if (packet.end !== "match") throw new TransportError(packet.end === "closed" ? "closed" : "too-large", `${host}:${port}: ${packet.end} while waiting on ${o.topic}`);
      const message = parsePublish(packet.data, o.version);
      if (message?.topic === o.topic) {
        await conn.write(Buffer.from([0xe0, 0x00])).catch(() => {});
        return message.payload;
      }
    }
  } finally {
    conn.close();
  }
}
