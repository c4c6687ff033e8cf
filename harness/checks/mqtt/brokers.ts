// The MQTT brokers the mqtt.* checks test: the one the descriptor says the device uses (mqtt.url)
// and every MQTT port the service scan found on the device itself.
import type { CheckContext } from "../../core/types.js";
import type { Descriptor } from "../../schema/types.js";

export interface Broker {
  host: string;
  port: number;
  tls: boolean;
  /** The device's own port, or the broker its descriptor names (possibly shared with other units). */
  onDevice: boolean;
}

/** The descriptor's broker; ws:// and wss:// (MQTT over WebSocket) are not tested and left out. */
export function declaredBroker(device: Descriptor): Broker | undefined {
  if (!device.mqtt?.url) return undefined;
  let url: URL;
  try {
    url = new URL(device.mqtt.url);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.replace(/:$/, "");
  if (scheme !== "mqtt" && scheme !== "mqtts") return undefined;
  const tls = scheme === "mqtts";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return { host, port: url.port ? Number(url.port) : tls ? 8883 : 1883, tls, onDevice: host.toLowerCase() === device.network?.address.toLowerCase() };
}

export function brokers(ctx: Pick<CheckContext, "device" | "facts">): Broker[] {
  const found = new Map<string, Broker>();
  const declared = declaredBroker(ctx.device);
  if (declared) found.set(`${declared.host}:${declared.port}`, declared);
  const address = ctx.device.network?.address;
  for (const s of address ? ctx.facts.get("tcp.services") ?? [] : []) {
    if (s.name !== "mqtt" && s.name !== "mqtts") continue;
    const key = `${address}:${s.port}`;
    if (!found.has(key)) found.set(key, { host: address!, port: s.port, tls: s.tls || s.name === "mqtts", onDevice: true });
  }
  return [...found.values()];
}

/** For --dry-run. */
export function plannedBrokers(device: Descriptor): string {
  const declared = declaredBroker(device);
  return declared ? `${declared.port} and each MQTT port found` : "each MQTT port found";
}

export const where = (b: Broker) => `${b.host}:${b.port}${b.tls ? " (TLS)" : ""}`;
