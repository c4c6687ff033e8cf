// coap.dtls: does the device speak CoAP over DTLS (coaps, 5684), and is plain CoAP (5683) still
// open beside it? CoAP without DTLS carries every reading and command in the clear, unauthenticated.
import { randomBytes } from "node:crypto";
import { generate, parse } from "coap-packet";
import { loadData } from "../../core/data.js";
import { TransportError } from "../../core/errors.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import { udpExchange } from "../../transports/udp.js";
import { COAP_PORT, dtlsEndpoint } from "./endpoint.js";

/** DTLS answers a ClientHello with a handshake record (HelloVerifyRequest) or an alert, version 0xfeXX. */
const isDtls = (d: Buffer) => (d[0] === 0x15 || d[0] === 0x16) && d[1] === 0xfe;

/** The DTLS ClientHello of udp-probes.yaml (CoAP's mandatory suites; RFC 7252 §9.1.3). */
function clientHello(): Buffer {
  const probe = loadData<{ probes: { service: string; payload: string }[] }>("udp-probes.yaml").probes.find((p) => p.service === "dtls");
  if (!probe) throw new Error("udp-probes.yaml has no dtls probe");
  return Buffer.from(probe.payload.replace(/\s+/g, ""), "hex");
}

/** RFC 7252 §4.3: an empty Confirmable message, which any CoAP endpoint answers with a Reset. */
function coapPing(messageId: number): Buffer {
  return generate({ code: "0.00", confirmable: true, messageId, token: Buffer.alloc(0) });
}

function answersPing(d: Buffer, messageId: number): boolean {
  try {
    const p = parse(d);
    return p.messageId === messageId && (p.reset || p.ack);
  } catch {
    return false;
  }
}

type Heard = "answered" | "silent" | "refused";

async function ask(ctx: CheckContext, host: string, port: number, payload: () => Buffer, answers: (d: Buffer) => boolean): Promise<Heard> {
  for (let attempt = 0; attempt <= ctx.pace.settings.retries; attempt++) {
    try {
      const answer = await udpExchange(ctx, host, port, payload(), {
        timeoutMs: ctx.pace.settings.connectTimeoutMs * 2,
        maxBytes: 16 * 1024,
        maxDatagrams: 8,
        complete: (ds) => ds.some(answers),
      });
      if (answer.datagrams.some(answers)) return "answered";
    } catch (err) {
      if (err instanceof TransportError && err.kind === "refused") return "refused";
      throw err;
    }
  }
  return "silent";
}

export const dtls: Check = {
  id: "coap.dtls",
  title: "CoAP over DTLS",
  description:
    "Sends a DTLS 1.2 ClientHello offering CoAP's mandatory suites to the coaps port (5684, or the descriptor's " +
    "coaps:// URL) and a CoAP ping (an empty Confirmable message) to plain CoAP on 5683. Passes when DTLS answers " +
    "and plain CoAP does not; fails when plain CoAP answers, worse when DTLS does not answer at all.",
  effect: "observe",
  needs: ["coap"],
  consumes: ["udp.services"],

  plan(device) {
    const d = dtlsEndpoint(device);
    if (!d) return [];
    return [
      { address: d.host, port: d.port, protocol: "dtls ClientHello", count: "1 or more" },
      { address: d.host, port: COAP_PORT, protocol: "coap ping", count: "1 or more" },
    ];
  },

  async run(ctx): Promise<Outcome> {
    const d = dtlsEndpoint(ctx.device);
    if (!d) return { verdict: "not-applicable", summary: "no address to ask for CoAP" };
    const { host } = d;
    // The UDP scan asked 5683 and 5684 already: when neither answered there and the descriptor
    // declares no CoAP, asking again would only wait out the same silence.
    const scanned = ctx.facts.get("udp.services");
    if (scanned && !ctx.device.coap && !scanned.some((s) => s.service === "coap" || s.service === "dtls")) {
      return { verdict: "not-applicable", summary: `no CoAP or DTLS service answered the UDP scan of ${host}, and the descriptor declares no CoAP` };
    }
    const plainPort = ctx.device.coap?.url?.startsWith("coap://") ? Number(new URL(ctx.device.coap.url).port || COAP_PORT) : COAP_PORT;
    let secure: Heard;
    let plain: Heard;
    try {
      secure = await ask(ctx, host, d.port, clientHello, isDtls);
      const id = randomBytes(2).readUInt16BE();
      plain = await ask(ctx, host, plainPort, () => coapPing(id), (dg) => answersPing(dg, id));
    } catch (err) {
      if (err instanceof TransportError && err.kind !== "aborted") return { verdict: "inconclusive", summary: `${host}: ${err.message}` };
      throw err;
    }
    const evidence = { dtlsPort: d.port, dtls: secure, plainPort, plain };
    const s = `DTLS on ${d.port}/udp ${secure === "answered" ? "answers a ClientHello" : `is ${secure}`}; plain CoAP on ${plainPort}/udp ${plain === "answered" ? "answers a ping" : `is ${plain}`}`;
    const findings: FindingInput[] = [];
    if (plain === "answered") {
      findings.push({
        severity: secure === "answered" ? "medium" : "high",
        title: secure === "answered"
          ? `plain CoAP on ${host}:${plainPort}/udp is still open beside DTLS on ${d.port}/udp`
          : `CoAP on ${host}:${plainPort}/udp without DTLS: no DTLS endpoint on ${d.port}/udp`,
        target: { transport: "udp", address: host, port: plainPort, service: "coap" },
        evidence,
      });
      return { verdict: "fail", summary: s, findings, evidence };
    }
    if (secure === "answered") return { verdict: "pass", summary: s, evidence };
    // Neither answers: the device has no CoAP here, or is off; the UDP scan and heartbeat tell which.
    // A device whose descriptor declares CoAP and then stays silent has not been observed.
    if (ctx.device.coap) return { verdict: "inconclusive", summary: `${s}, though the descriptor declares CoAP`, evidence };
    return { verdict: "not-applicable", summary: `${s}: no CoAP on ${host}`, evidence };
  },
};
