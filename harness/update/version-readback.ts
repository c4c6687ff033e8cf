// Reads the firmware version a device reports, the way its descriptor says: a GET on a URL of the
// device, a message on an MQTT topic of its broker, or a command on its serial console. Every read
// goes through the run context (scope, pace, ledger) and is bounded.
import { TransportError } from "../core/errors.js";
import type { CheckContext } from "../core/types.js";
import type { VersionReadback } from "../schema/types.js";
import { mqttReadTopic } from "../transports/mqtt.js";
import { openSerial } from "../transports/serial.js";
import { escapeBytes } from "../transports/tcp.js";
import { getUrl } from "../transports/url-get.js";

const MAX_ANSWER = 16 * 1024;
const TIMEOUT_MS = 5_000;
/** The speed a serial readback uses when the descriptor says "auto": the common console speed. */
const SERIAL_DEFAULT_BAUD = 115200;
const MAX_VERSION_CHARS = 64;

export type Readback = { ok: true; version: string } | { ok: false; reason: string };

/** The version in `answer`: the pattern's first group, or the whole answer trimmed. */
export function versionIn(answer: Buffer, pattern: string | undefined): string | undefined {
  const text = answer.toString("latin1");
  const found = pattern ? new RegExp(pattern).exec(text)?.[1] : text.trim();
  if (!found) return undefined;
  return escapeBytes(Buffer.from(found.trim(), "latin1"), MAX_VERSION_CHARS);
}

async function answer(ctx: CheckContext, how: VersionReadback): Promise<Buffer | undefined> {
  if ("http" in how) {
    const res = await getUrl(ctx, how.http.url, { timeoutMs: TIMEOUT_MS, maxBytes: MAX_ANSWER });
    if (res.status !== 200) throw new TransportError("protocol", `${how.http.url} answers HTTP ${res.status}`);
    return res.body;
  }
  if ("mqtt" in how) {
    const broker = ctx.device.mqtt?.url;
    if (!broker) throw new TransportError("out-of-scope", "the descriptor names no MQTT broker to read the version topic from");
    const u = new URL(broker);
    const tls = u.protocol === "mqtts:";
    return mqttReadTopic(ctx, u.hostname.replace(/^\[|\]$/g, ""), u.port ? Number(u.port) : tls ? 8883 : 1883, {
      tls, version: 4, connectTimeoutMs: TIMEOUT_MS, replyTimeoutMs: TIMEOUT_MS, topic: how.mqtt.topic, waitMs: TIMEOUT_MS, maxBytes: MAX_ANSWER,
      ...(u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : {}),
    });
  }
  const serial = ctx.device.serial;
  if (!serial) throw new TransportError("out-of-scope", "the descriptor names no serial console to type the version command on");
  const con = await openSerial(ctx, serial.path, serial.baudRate === "auto" ? SERIAL_DEFAULT_BAUD : serial.baudRate);
  try {
    await con.write(`${how.serial.command}\r`);
    const pattern = how.serial.pattern ? new RegExp(how.serial.pattern) : undefined;
    const read = await con.readUntil((b) => (pattern ? pattern.test(b.toString("latin1")) : false), { maxBytes: MAX_ANSWER, timeoutMs: TIMEOUT_MS });
    // Without a pattern the answer is what the console printed after the echoed command
    return pattern ? read.data : Buffer.from(read.data.toString("latin1").replace(how.serial.command, "").replace(/[#$>]\s*$/, ""), "latin1");
  } finally {
    con.close();
  }
}

/** The version the device reports now; a failure says why, and is never a version. */
export async function readVersion(ctx: CheckContext, how: VersionReadback): Promise<Readback> {
  const pattern = "http" in how ? how.http.pattern : "mqtt" in how ? how.mqtt.pattern : how.serial.pattern;
  try {
    const got = await answer(ctx, how);
    if (!got) return { ok: false, reason: "no message on the version topic" };
    const version = versionIn(got, pattern);
    return version ? { ok: true, version } : { ok: false, reason: `the answer holds no version${pattern ? ` matching /${pattern}/` : ""}` };
  } catch (err) {
    if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
    return { ok: false, reason: err.message };
  }
}
