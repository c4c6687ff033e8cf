// mqtt.observe: what the device did on the harness's own broker (`iotcert observe mqtt`), read
// from the observation a run is given: whether it used TLS and a client certificate, the
// credentials it sent and whether other units send the same, the topics it published, and secrets
// in what it published (worst when retained: every later subscriber gets them).
import type { Check, FindingInput, Outcome } from "../../core/types.js";
import type { ObservedSession } from "../../observe/mqtt-observation.js";

const sameCredentials = (a: ObservedSession, b: ObservedSession) =>
  a.username !== undefined && a.username === b.username && a.password === b.password;

export const observe: Check = {
  id: "mqtt.observe",
  title: "MQTT as the device uses it",
  description:
    "Judges what `iotcert observe mqtt` recorded when the device was pointed at the harness's own broker " +
    "(aedes, plain and TLS): fails when it connected without TLS (worse when it sent credentials that way), " +
    "when it sent the same user name and password as another unit observed, and when what it published carries " +
    "passwords, keys or tokens (retained or not). Records whether it presented a client certificate and the " +
    "topics it published. Sends nothing to the device; without an observation it does not apply.",
  effect: "observe",
  needs: [],

  plan() {
    return [];
  },

  async run(ctx): Promise<Outcome> {
    const observation = ctx.options.mqttObservation;
    if (!observation) return { verdict: "not-applicable", summary: "no MQTT observation given (iotcert observe mqtt, then run with its file)" };
    const address = ctx.device.network?.address;
    const mine = observation.sessions.filter((s) => s.unit === ctx.device.id || (!s.unit && address !== undefined && s.address === address));
    if (mine.length === 0) {
      return { verdict: "inconclusive", summary: `the device never connected to the observation broker (${observation.sessions.length} other sessions, ${observation.startedAt} to ${observation.finishedAt})` };
    }
    const others = observation.sessions.filter((s) => !mine.includes(s));
    const target = (s: ObservedSession) => ({ transport: "mqtt" as const, address: s.address, service: s.transport });
    const findings: FindingInput[] = [];
    for (const s of mine) {
      if (s.transport === "mqtt") {
        const creds = s.username !== undefined || s.password !== undefined;
        findings.push({
          severity: creds ? "high" : "medium",
          title: creds ? `the device sends its MQTT credentials (user "${s.username ?? ""}") without TLS` : "the device speaks MQTT to its broker without TLS",
          target: target(s),
          evidence: { clientId: s.clientId, ...(s.username !== undefined ? { username: s.username } : {}), ...(s.password !== undefined ? { password: s.password } : {}) },
        });
      }
      const twin = others.find((o) => sameCredentials(s, o));
      if (twin) {
        findings.push({
          severity: "high",
          title: `the device sends the same MQTT user name and password as ${twin.unit ?? twin.address}: a credential shared by every unit`,
          target: target(s),
          evidence: { username: s.username, password: s.password, alsoSentBy: twin.unit ?? twin.address },
        });
      }
      for (const leak of s.secrets) {
        findings.push({
          severity: leak.severity,
          title: `the device publishes ${leak.title} on topic ${leak.topic}${leak.retain ? " as a retained message" : ""}`,
          target: target(s),
          evidence: { topic: leak.topic, retain: leak.retain, context: leak.context, [leak.key]: leak.value },
        });
      }
    }
    const describe = (s: ObservedSession) =>
      `${s.transport === "mqtts" ? `TLS${s.tlsProtocol ? ` (${s.tlsProtocol})` : ""}` : "no TLS"}, ${s.clientCertificate ? "client certificate" : "no client certificate"}, ` +
      `${s.username !== undefined ? `user "${s.username}"` : "no credentials"}, ${s.published} messages on ${s.topics.length} topics`;
    const evidence = {
      observedFrom: observation.startedAt,
      observedTo: observation.finishedAt,
      sessions: mine.map((s) => ({
        transport: s.transport, tlsProtocol: s.tlsProtocol, clientCertificate: s.clientCertificate ?? null, clientId: s.clientId,
        protocolVersion: s.protocolVersion, username: s.username, topics: s.topics, published: s.published,
        retained: s.retained.map((r) => ({ topic: r.topic, bytes: r.bytes, sampledPayload: r.sample })),
      })),
    };
    const summary = `${mine.length} session${mine.length > 1 ? "s" : ""}: ${mine.map(describe).join("; ")}`;
    return findings.length ? { verdict: "fail", summary, findings, evidence } : { verdict: "pass", summary, evidence };
  },
};
