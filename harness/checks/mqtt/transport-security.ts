// mqtt.transport-security: does MQTT travel inside TLS? A plaintext broker port carries the
// device's credentials, readings and commands where anyone on the path reads them.
import { TransportError } from "../../core/errors.js";
import type { CertificateFact } from "../../core/facts.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import { connectTcp, escapeBytes } from "../../transports/tcp.js";
import { brokers, plannedBrokers, where, type Broker } from "./brokers.js";

interface CertificateSeen {
  subject: string;
  issuer: string;
  selfSigned: boolean;
  notAfter: string;
  protocol?: string;
  from: "crypto.tls" | "handshake";
}

const summaryOf = (c: CertificateFact): CertificateSeen => ({ subject: c.subject, issuer: c.issuer, selfSigned: c.selfSigned, notAfter: c.notAfter, from: "crypto.tls" });

/**
 * The broker's certificate: from crypto.tls when the broker is a port of the device, else (a broker
 * elsewhere, which the surface checks do not scan) from a handshake of our own.
 */
async function certificateOf(ctx: CheckContext, b: Broker): Promise<CertificateSeen | string> {
  if (b.onDevice) {
    const fact = ctx.facts.get("tls.certificates")?.find((c) => c.port === b.port);
    if (fact) return summaryOf(fact);
  }
  try {
    const conn = await connectTcp(ctx, b.host, b.port, ctx.pace.settings.connectTimeoutMs);
    try {
      // SNI carries host names only (RFC 6066 §3)
      const { info, connection } = await conn.startTls({ timeoutMs: ctx.pace.settings.connectTimeoutMs * 2 });
      connection.close();
      const cert = info.certificate;
      const name = (o: Record<string, unknown> | undefined) => escapeBytes(Buffer.from(Object.entries(o ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(", "), "utf8"), 256);
      const subject = name(cert?.subject as unknown as Record<string, unknown>);
      const issuer = name(cert?.issuer as unknown as Record<string, unknown>);
      return {
        subject,
        issuer,
        selfSigned: !!cert && subject === issuer,
        notAfter: cert?.valid_to ?? "",
        ...(info.protocol ? { protocol: info.protocol } : {}),
        from: "handshake",
      };
    } finally {
      conn.close();
    }
  } catch (err) {
    if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
    return `no TLS handshake: ${err.message}`;
  }
}

export const transportSecurity: Check = {
  id: "mqtt.transport-security",
  title: "MQTT over TLS only",
  description:
    "Looks at every MQTT broker the device uses or runs (the descriptor's mqtt.url, every MQTT port the service " +
    "scan found): fails when one speaks plaintext MQTT (1883 and the like), worse when there is no MQTT over TLS " +
    "at all, and records each TLS broker's certificate from crypto.tls (or from a handshake, for a broker that is " +
    "not the device). crypto.tls judges protocol versions, suites and the certificate itself.",
  effect: "observe",
  needs: [],
  consumes: ["tcp.services", "tls.certificates"],

  plan(device) {
    const host = device.mqtt?.url ? new URL(device.mqtt.url).hostname : device.network?.address ?? "";
    return [{ address: host, port: plannedBrokers(device), protocol: "tls handshake", count: "1 per TLS broker not on the device" }];
  },

  async run(ctx): Promise<Outcome> {
    const list = brokers(ctx);
    if (list.length === 0) return { verdict: "not-applicable", summary: "no MQTT broker: the descriptor names none and the scan found none on the device" };
    const plain = list.filter((b) => !b.tls);
    const secure = list.filter((b) => b.tls);
    const certificates: Record<string, CertificateSeen | string> = {};
    for (const b of secure) certificates[`${b.host}:${b.port}`] = await certificateOf(ctx, b);
    const handshaken = secure.filter((b) => typeof certificates[`${b.host}:${b.port}`] !== "string");

    const findings: FindingInput[] = plain.map((b) => ({
      severity: handshaken.length ? "medium" : "high",
      title: handshaken.length
        ? `plaintext MQTT on ${b.host}:${b.port} is still open beside MQTT over TLS (${handshaken.map((s) => s.port).join(", ")})`
        : `MQTT without TLS on ${b.host}:${b.port}${b.onDevice ? "" : " (the broker the device uses)"}: credentials and messages travel in the clear`,
      target: { transport: "tcp", address: b.host, port: b.port, service: "mqtt" },
      evidence: { onDevice: b.onDevice },
    }));
    const evidence = { plaintext: plain.map((b) => `${b.host}:${b.port}`), tls: secure.map((b) => `${b.host}:${b.port}`), certificates };
    const certLine = (b: Broker) => {
      const c = certificates[`${b.host}:${b.port}`]!;
      return typeof c === "string" ? `${where(b)}: ${c}` : `${where(b)}: certificate ${c.subject}${c.selfSigned ? " (self-signed)" : ""}, until ${c.notAfter}`;
    };
    const summary = [
      plain.length ? `plaintext MQTT on ${plain.map((b) => `${b.host}:${b.port}`).join(", ")}` : "no plaintext MQTT",
      secure.length ? secure.map(certLine).join("; ") : "no MQTT over TLS",
    ].join("; ");
    if (findings.length) return { verdict: "fail", summary, findings, evidence };
    if (handshaken.length === 0) return { verdict: "inconclusive", summary: `no TLS broker completed a handshake; ${summary}`, evidence };
    return { verdict: "pass", summary, evidence };
  },
};
