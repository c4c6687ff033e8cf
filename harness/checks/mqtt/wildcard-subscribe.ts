// mqtt.wildcard-subscribe: can a client subscribe to every topic (#) and to the broker's own
// ($SYS/#), without credentials or with the device's, and read what other clients publish?
// Listens only, for a fixed window; never publishes.
import { TransportError } from "../../core/errors.js";
import { findSecrets } from "../../core/secrets.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import { mqttListen, type Listened } from "../../transports/mqtt-listen.js";
import { connackMeaning, type MqttVersion } from "../../transports/mqtt.js";
import { escapeBytes } from "../../transports/tcp.js";
import { brokers, plannedBrokers, where, type Broker } from "./brokers.js";

const FILTERS = ["#", "$SYS/#"];
/** Long enough for retained messages and a device's periodic reports (often every few seconds). */
const WINDOW_MS = 5000;
const REPLY_TIMEOUT_MS = 5000;
const MAX_PACKET = 64 * 1024;
const MAX_MESSAGES = 50;
const MAX_TOPICS = 200;
/** Payload bytes searched for secrets, and shown as evidence. */
const SEARCHED_BYTES = 4096;
const SAMPLE_BYTES = 128;

interface Identity {
  label: string;
  username?: string;
  password?: string;
  /** The manufacturer states the credential differs on every unit. */
  unique: boolean;
}

/** Anonymous first, then the credentials the descriptor declares for MQTT (or for every service). */
function identities(ctx: CheckContext): Identity[] {
  const declared = (ctx.device.declared?.credentials ?? []).filter((c) => !c.service || c.service === "mqtt" || c.service === "mqtts");
  return [
    { label: "no credentials", unique: false },
    ...declared.map((c) => ({ label: `the device's credentials (user "${escapeBytes(Buffer.from(c.username, "utf8"), 64)}")`, username: c.username, password: c.password, unique: c.unique === true })),
  ];
}

const granted = (l: Listened, filter: string) => {
  const code = l.granted?.[FILTERS.indexOf(filter)];
  return code !== undefined && code >= 0 && code < 0x80;
};

export const wildcardSubscribe: Check = {
  id: "mqtt.wildcard-subscribe",
  title: "MQTT wildcard subscriptions",
  description:
    "Subscribes to # and $SYS/# on each broker (the descriptor's mqtt.url and every MQTT port on the device), " +
    "first without credentials, then with the credentials the descriptor declares, and listens for 5 s. " +
    "Records the topic names and bounded payload samples (hidden by --redact), and fails when anyone, or a " +
    "credential shared by every unit, may read every topic; a unit's own per-unit credential reading every " +
    "topic of a shared broker fails too (it reads its siblings). Payloads holding passwords, keys or tokens are " +
    "findings of their own. Never publishes.",
  effect: "intrusive",
  needs: [],
  consumes: ["tcp.services"],
  timeoutMs: 120_000,

  plan(device) {
    return [{ address: device.mqtt?.url ? new URL(device.mqtt.url).hostname : device.network?.address ?? "", port: plannedBrokers(device), protocol: "mqtt CONNECT + SUBSCRIBE # and $SYS/#", count: "1 per identity and broker", note: `listens ${WINDOW_MS / 1000} s; never publishes` }];
  },

  async run(ctx): Promise<Outcome> {
    const list = brokers(ctx);
    if (list.length === 0) return { verdict: "not-applicable", summary: "no MQTT broker: the descriptor names none and the scan found none on the device" };
    const findings: FindingInput[] = [];
    const lines: string[] = [];
    const evidence: Record<string, unknown>[] = [];
    let observed = 0;
    for (const b of list) {
      const tried: string[] = [];
      for (const id of identities(ctx)) {
        ctx.progress(`${where(b)}: ${id.label}, listening ${WINDOW_MS / 1000} s`);
        let l: Listened;
        const listen = (version: MqttVersion) => mqttListen(ctx, b.host, b.port, {
          tls: b.tls, version, connectTimeoutMs: ctx.pace.settings.connectTimeoutMs, replyTimeoutMs: REPLY_TIMEOUT_MS,
          ...(id.username !== undefined ? { username: id.username, password: id.password ?? "" } : {}),
          filters: FILTERS, windowMs: WINDOW_MS, maxPacketBytes: MAX_PACKET, maxMessages: MAX_MESSAGES, maxTopics: MAX_TOPICS, sampleBytes: SEARCHED_BYTES,
        });
        try {
          l = await listen(4);
          // A broker that speaks only MQTT 5 refuses 3.1.1 for its version: ask again in 5
          if (connackMeaning(l.connack) === "bad-version") l = await listen(5);
        } catch (err) {
          if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
          tried.push(`${id.label}: ${err.kind}`);
          continue;
        }
        const meaning = connackMeaning(l.connack);
        if (meaning !== "accepted") {
          observed++;
          tried.push(`${id.label}: CONNECT refused (${meaning})`);
          continue;
        }
        observed++;
        const wide = FILTERS.filter((f) => granted(l, f));
        tried.push(`${id.label}: ${wide.length ? `${wide.join(" and ")} granted` : l.granted ? "wildcards refused" : "no SUBACK"}, ${l.received} messages on ${l.topics.length} topics${l.end === "window" ? "" : ` (ended: ${l.end})`}`);
        evidence.push({
          broker: `${b.host}:${b.port}`, tls: b.tls, identity: id.label, granted: l.granted ?? null, received: l.received, topics: l.topics,
          samples: l.messages.map((m) => ({ topic: m.topic, bytes: m.bytes, retain: m.retain, sampledPayload: escapeBytes(m.sample, SAMPLE_BYTES) })),
          end: l.end, ...(l.detail ? { detail: l.detail } : {}),
        });
        findings.push(...judge(b, id, l, wide));
        // One identity that reads everything has shown it; the next would only repeat it.
        if (wide.length) break;
      }
      lines.push(`${where(b)} ${tried.join("; ")}`);
    }
    const summary = lines.join(" | ");
    if (findings.some((f) => f.severity !== "info")) return { verdict: "fail", summary, findings, evidence: { sessions: evidence } };
    if (observed === 0) return { verdict: "inconclusive", summary: `no broker could be asked: ${summary}`, evidence: { sessions: evidence } };
    return { verdict: "pass", summary, findings, evidence: { sessions: evidence } };
  },
};

function judge(b: Broker, id: Identity, l: Listened, wide: string[]): FindingInput[] {
  const target = { transport: "tcp" as const, address: b.host, port: b.port, service: b.tls ? "mqtts" : "mqtt" };
  const findings: FindingInput[] = [];
  if (wide.length) {
    const topics = { topics: l.topics.slice(0, 50), received: l.received, identity: id.label };
    if (id.username === undefined || !id.unique) {
      findings.push({ severity: "high", title: `MQTT broker ${where(b)} lets ${id.label === "no credentials" ? "anyone" : "a credential every unit shares"} subscribe to ${wide.join(" and ")} (${l.topics.length} topics seen)`, target, evidence: topics });
    } else if (!b.onDevice) {
      findings.push({ severity: "medium", title: `the unit's own credentials subscribe to ${wide.join(" and ")} on the shared broker ${where(b)}: they read other units' topics`, target, evidence: topics });
    } else {
      findings.push({ severity: "info", title: `the device's broker ${where(b)} gives its own credentials every topic (${wide.join(" and ")})`, target, evidence: topics });
    }
  }
  for (const m of l.messages) {
    const text = m.sample.toString("latin1");
    for (const leak of findSecrets(text)) {
      findings.push({
        severity: leak.pattern.severity,
        title: `a message on ${b.host}:${b.port} topic ${m.topic}${m.retain ? " (retained)" : ""} carries ${leak.pattern.title}`,
        target,
        evidence: { topic: m.topic, retain: m.retain, context: leak.context, [leak.pattern.key]: escapeBytes(Buffer.from(leak.value, "latin1"), 256) },
      });
    }
  }
  return findings;
}
