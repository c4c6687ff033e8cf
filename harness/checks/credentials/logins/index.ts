// Which identified services have a login the credential check can try, and how to drive each.
// A new login service is a file beside this one and a line in each of the two tables below.
import type { Service, UdpService } from "../../../core/facts.js";
import type { CheckContext } from "../../../core/types.js";
import { formatSeconds } from "../../../transports/tcp.js";
import { formLoginOf } from "./form.js";
import { httpAuthLoginOf } from "./http-auth.js";
import { rtspLoginOf } from "./rtsp.js";
import type { Login, LoginTarget } from "./login.js";
import { mqttLoginOf } from "./mqtt.js";
import { snmpLoginOf } from "./snmp.js";
import { telnetLoginOf } from "./telnet.js";
import { sshLoginOf } from "./ssh.js";
import { ftpLoginOf } from "./ftp.js";

/** The login targets one identified service offers (none for most). */
const TARGETS: Record<string, (s: Service) => LoginTarget[]> = {
  telnet: (s) => [{ name: s.name, kind: "telnet", port: s.port, tls: s.tls }],
  ssh: (s) => [{ name: s.name, kind: "ssh", port: s.port, tls: false }],
  ftp: (s) => [{ name: s.name, kind: "ftp", port: s.port, tls: s.tls }],
  http: httpAuthTargets,
  https: httpAuthTargets,
  rtsp: (s) => [{ name: s.name, kind: "rtsp", port: s.port, tls: s.tls }],
  mqtt: (s) => [{ name: s.name, kind: "mqtt", port: s.port, tls: s.tls }],
  mqtts: (s) => [{ name: s.name, kind: "mqtt", port: s.port, tls: true }],
};

const DRIVERS: Record<LoginTarget["kind"], (ctx: CheckContext, host: string, t: LoginTarget) => Login> = {
  telnet: telnetLoginOf,
  ssh: sshLoginOf,
  ftp: ftpLoginOf,
  http: httpAuthLoginOf,
  form: formLoginOf,
  rtsp: rtspLoginOf,
  mqtt: mqttLoginOf,
  snmp: snmpLoginOf,
};

const HTTP_SCHEMES = ["basic", "digest"] as const;

function httpAuthTargets(s: Service): LoginTarget[] {
  const page = s.http?.find((p) => HTTP_SCHEMES.some((scheme) => scheme === p.authScheme));
  return page ? [{ name: s.name, kind: "http", port: s.port, tls: s.tls, path: page.path, scheme: page.authScheme as "basic" | "digest" }] : [];
}

export function loginTargets(services: Service[]): LoginTarget[] {
  return services.flatMap((s) => TARGETS[s.name]?.(s) ?? []);
}

/**
 * The open ports that never spoke, as reasons: whether one guards a login is unknown, so no
 * credential check may pass while one is there.
 */
export function silentPorts(services: Service[]): string[] {
  return services.filter((s) => s.silentMs !== undefined).map((s) => `port ${s.port} accepted connections and never spoke in ${formatSeconds(s.silentMs!)}`);
}

/** The login targets among the UDP services that answered the scan (SNMP communities). */
export function udpLoginTargets(services: UdpService[]): LoginTarget[] {
  return services.filter((s) => s.service === "snmp").map((s) => ({ name: "snmp", kind: "snmp", port: s.port, tls: false }));
}

export function loginFor(ctx: CheckContext, host: string, target: LoginTarget): Login {
  return DRIVERS[target.kind](ctx, host, target);
}
