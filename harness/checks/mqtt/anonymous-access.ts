// mqtt.anonymous-access: does a broker the device uses, or runs, let anyone in without a user
// name or password? Then anyone can read the device's messages and send it commands. This is the
// one finding for that weakness: credentials.default-passwords, which asks the same anonymous
// CONNECT first, fails on it without reporting it again, and the profiles map this check to the
// password provisions (EN 303 645 5.1-1) as well as to the access-control ones.
import { loadData } from "../../core/data.js";
import { TransportError } from "../../core/errors.js";
import type { BrokerVersion } from "../../core/facts.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import { connackMeaning, mqttConnect, mqttReadTopic, type MqttVersion } from "../../transports/mqtt.js";
import { escapeBytes } from "../../transports/tcp.js";
import { brokers, plannedBrokers, where, type Broker } from "./brokers.js";

const REPLY_TIMEOUT_MS = 5000;
/** The version topic is retained: it comes at once or not at all. */
const VERSION_WAIT_MS = 2000;
const VERSION_BYTES = 1024;
const VERSION_CHARS = 128;
const versionTopic = () => loadData<{ mqttVersionTopic: string }>("version-disclosure.yaml").mqttVersionTopic;
const VERSIONS: { version: MqttVersion; name: string }[] = [{ version: 4, name: "3.1.1" }, { version: 5, name: "5" }];

interface Tried {
  version: string;
  /** The CONNACK code, hex, and what it means; or why no CONNACK came. */
  connack?: string;
  meaning?: string;
  error?: string;
}

export const anonymousAccess: Check = {
  id: "mqtt.anonymous-access",
  title: "MQTT broker without authentication",
  description:
    "Sends a CONNECT without user name or password, in MQTT 3.1.1 and in MQTT 5, to the broker the descriptor " +
    "names (mqtt.url) and to every MQTT port found on the device, and records each CONNACK code. Fails when a " +
    "broker accepts either (critical): anyone can then read the device's messages and send it commands. The one finding " +
    "for that weakness, serving the password provision as well as the access-control ones. On a broker of " +
    "the device that lets anyone in, one SUBSCRIBE to $SYS/broker/version reads the version it tells anyone " +
    "(the first message, 2 s at most), for surface.version-disclosure. Nothing is published.",
  effect: "intrusive",
  needs: [],
  consumes: ["tcp.services"],
  produces: ["mqtt.broker-versions"],

  plan(device) {
    return [{ address: device.mqtt?.url ? new URL(device.mqtt.url).hostname : device.network?.address ?? "", port: plannedBrokers(device), protocol: "mqtt CONNECT (3.1.1, 5)", count: "2 per broker, and 1 SUBSCRIBE where anonymous is accepted", note: `SUBSCRIBE ${versionTopic()} only` }];
  },

  async run(ctx): Promise<Outcome> {
    const list = brokers(ctx);
    if (list.length === 0) return { verdict: "not-applicable", summary: "no MQTT broker: the descriptor names none and the scan found none on the device" };
    const results = new Map<Broker, Tried[]>();
    for (const b of list) {
      const tried: Tried[] = [];
      for (const v of VERSIONS) {
        ctx.progress(`${where(b)} MQTT ${v.name}`);
        try {
          const ack = await mqttConnect(ctx, b.host, b.port, {
            tls: b.tls, version: v.version, connectTimeoutMs: ctx.pace.settings.connectTimeoutMs, replyTimeoutMs: REPLY_TIMEOUT_MS,
          });
          tried.push({ version: v.name, connack: `0x${ack.code.toString(16).padStart(2, "0")}`, meaning: connackMeaning(ack) });
        } catch (err) {
          if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
          tried.push({ version: v.name, error: `${err.kind}: ${err.message}` });
        }
      }
      results.set(b, tried);
    }

    const findings: FindingInput[] = [];
    const lines: string[] = [];
    const versions: BrokerVersion[] = [];
    let unknown = 0;
    for (const [b, tried] of results) {
      const accepted = tried.filter((t) => t.meaning === "accepted");
      const version = b.onDevice && accepted.length ? await readVersion(ctx, b, accepted[0]!.version === "5" ? 5 : 4) : undefined;
      if (version) versions.push(version);
      const refused = tried.filter((t) => t.meaning === "bad-credentials" || t.meaning === "not-authorized");
      const said = tried.map((t) => `${t.version}: ${t.connack ? `${t.connack} ${t.meaning}` : t.error}`).join(", ");
      lines.push(`${where(b)} ${said}`);
      if (accepted.length) {
        findings.push({
          // As every login open to anyone (FTP, RTSP, telnet without a password): critical
          severity: "critical",
          title: `MQTT broker ${where(b)} accepts a CONNECT without credentials (MQTT ${accepted.map((t) => t.version).join(" and ")})`,
          target: { transport: "tcp", address: b.host, port: b.port, service: b.tls ? "mqtts" : "mqtt" },
          evidence: { connacks: tried, onDevice: b.onDevice },
        });
      } else if (refused.length === 0) {
        unknown++;
      }
    }
    ctx.facts.set("mqtt.broker-versions", versions);
    const evidence = { brokers: [...results].map(([b, tried]) => ({ host: b.host, port: b.port, tls: b.tls, onDevice: b.onDevice, connacks: tried })) };
    const summary = lines.join("; ");
    if (findings.length) return { verdict: "fail", summary: `anonymous MQTT accepted; ${summary}`, findings, evidence };
    if (unknown) return { verdict: "inconclusive", summary: `${unknown} broker${unknown > 1 ? "s" : ""} refused no anonymous CONNECT in so many words; ${summary}`, evidence };
    return { verdict: "pass", summary: `every broker refuses an anonymous CONNECT; ${summary}`, evidence };
  },
};

/** What the broker publishes on its version topic to a client with no credentials; undefined when nothing came. */
async function readVersion(ctx: CheckContext, b: Broker, version: MqttVersion): Promise<BrokerVersion | undefined> {
  const topic = versionTopic();
  ctx.progress(`${where(b)} ${topic}`);
  try {
    const payload = await mqttReadTopic(ctx, b.host, b.port, {
      tls: b.tls, version, connectTimeoutMs: ctx.pace.settings.connectTimeoutMs, replyTimeoutMs: REPLY_TIMEOUT_MS,
      topic, waitMs: VERSION_WAIT_MS, maxBytes: VERSION_BYTES,
    });
    return payload?.length ? { host: b.host, port: b.port, tls: b.tls, topic, version: escapeBytes(payload, VERSION_CHARS) } : undefined;
  } catch (err) {
    if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
    return undefined;
  }
}
