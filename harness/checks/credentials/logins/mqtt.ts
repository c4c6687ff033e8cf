// MQTT logins (3.1.1 and 5): told by the CONNACK code. An anonymous CONNECT comes first; a broker
// that accepts it is open to anyone (source "anonymous"), no pairs tried. That weakness is
// mqtt.anonymous-access's finding; the credential check fails on it without a second one.
import { TransportError } from "../../../core/errors.js";
import type { CheckContext } from "../../../core/types.js";
import { connackMeaning, mqttConnect, type Connack, type MqttVersion } from "../../../transports/mqtt.js";
import { REPLY_TIMEOUT_MS, type Answer, type Login, type LoginTarget } from "./login.js";

const describe = (a: Connack) => `MQTT ${a.version === 4 ? "3.1.1" : "5"} CONNACK code 0x${a.code.toString(16).padStart(2, "0")}`;

export function mqttLoginOf(ctx: CheckContext, host: string, t: LoginTarget): Login {
  const timing = { connectTimeoutMs: ctx.pace.settings.connectTimeoutMs, replyTimeoutMs: REPLY_TIMEOUT_MS };
  let version: MqttVersion = 4;
  const connect = (creds: { username?: string; password?: string }) => mqttConnect(ctx, host, t.port, { tls: t.tls, version, ...creds, ...timing });

  /** A CONNACK that is neither acceptance nor a refusal of the credentials tells nothing about them. */
  const judge = (ack: Connack, what: string): Answer => {
    const meaning = connackMeaning(ack);
    const transcript = `${what}: ${describe(ack)} (${meaning})`;
    if (meaning === "accepted") return { verdict: "success", transcript };
    if (meaning === "bad-credentials" || meaning === "not-authorized") return { verdict: "rejected", transcript };
    throw new TransportError("protocol", `${host}:${t.port}: ${transcript}; says nothing about the credentials`);
  };

  return {
    untestable: async () => undefined,
    anonymousReportedBy: "mqtt.anonymous-access",
    anonymous: async () => {
      let ack = await connect({});
      // A broker that speaks only MQTT 5 refuses the 3.1.1 CONNECT for its version: ask again in 5
      if (connackMeaning(ack) === "bad-version") {
        version = 5;
        ack = await connect({});
      }
      return judge(ack, "CONNECT without user name or password");
    },
    attempt: async (candidate) => judge(await connect({ username: candidate.username, password: candidate.password }), `CONNECT as "${candidate.username}"`),
  };
}
