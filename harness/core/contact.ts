// Was the device reached at all? Reached means it answered something, on any transport the
// checks tried: a TCP SYN-ACK or RST, a UDP datagram or ICMP port unreachable, a BLE
// advertisement, bytes on its serial line. Timeouts and "no route to host" are silence. Only the
// device's own endpoints count (its address, its MQTT broker and CoAP server, its BLE address and
// serial port); a vendor's web server or a sibling unit answering does not reach the device.
import type { Descriptor } from "../schema/types.js";
import type { ProbeCount } from "./evidence.js";
import { formatPortSet, parsePortSet } from "./ports.js";

export interface NotReached {
  /** The device's endpoints the checks tried. */
  tried: string[];
  /** One line: what was sent where and that nothing answered. */
  reason: string;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return undefined;
  }
}

function endpoints(device: Descriptor): Set<string> {
  const all = [device.network?.address, hostOf(device.mqtt?.url), hostOf(device.coap?.url), device.ble?.address, device.serial?.path];
  return new Set(all.filter((e): e is string => !!e).map((e) => e.toLowerCase()));
}

/** "12 tcp to ports 22,80-82; 3 udp to port 161": the probes of one address, by protocol. */
function describe(probes: ProbeCount[]): string {
  const byProtocol = new Map<string, { count: number; ports: Set<number> }>();
  for (const p of probes) {
    const tally = byProtocol.get(p.protocol) ?? { count: 0, ports: new Set<number>() };
    tally.count += p.count;
    for (const port of parsePortSet(p.ports)) tally.ports.add(port);
    byProtocol.set(p.protocol, tally);
  }
  return [...byProtocol].map(([protocol, { count, ports }]) => {
    const where = ports.size === 0 ? "" : ` to port${ports.size === 1 ? "" : "s"} ${formatPortSet(ports)}`;
    return `${count} ${protocol}${where}`;
  }).join("; ");
}

/**
 * Undefined when the device answered anything, or when no check sent it anything (a run of
 * attestations alone has nothing to reach).
 */
export function notReached(device: Descriptor, probes: readonly ProbeCount[]): NotReached | undefined {
  const own = endpoints(device);
  const toDevice = probes.filter((p) => own.has(p.address.toLowerCase()));
  if (toDevice.length === 0 || toDevice.some((p) => p.answered)) return undefined;
  const byAddress = new Map<string, ProbeCount[]>();
  for (const p of toDevice) byAddress.set(p.address, [...(byAddress.get(p.address) ?? []), p]);
  const tried = [...byAddress.keys()];
  const what = tried.map((address) => `${address} (${describe(byAddress.get(address)!)})`);
  return { tried, reason: `the device was not reached: nothing answered at ${what.join(", ")}` };
}
