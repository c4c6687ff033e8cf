// Does a device keep to its MUD file? Every flow to or from the device in a capture is judged by
// the policy for its direction; each one the policy does not permit is a violation, with the time
// of its first packet and its endpoints. DNS names resolve through the capture's own DNS answers
// to the device, as the device resolved them.
import { deviceMacs, type Capture, type Flow } from "./capture.js";
import { isInfrastructure } from "./infrastructure.js";
import type { Direction, MudFile } from "./model.js";
import { blockListOf, contains, MudPolicy, type Surroundings } from "./policy.js";

/** Where local-networks points unless the lab says otherwise: private, unique-local and link-local ranges. */
export const DEFAULT_LOCAL_NETWORKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10"];

/** The well-known controller class RFC 8520 defines for the DNS servers the device uses; the capture shows which answered it. */
const DNS_CONTROLLER = "urn:ietf:params:mud:dns";

export interface ConformOptions {
  /** The device's addresses (IPv4 and IPv6). */
  device: string[];
  localNetworks?: string[];
  /** Controller class URI → addresses. */
  controllers?: Record<string, string[]>;
  myControllers?: string[];
}

export interface Violation {
  direction: Direction;
  /** The first flow of the group: its time and endpoints. */
  flow: Flow;
  /** Flows in the group (same direction, protocol, endpoints and service port) and their packets. */
  flows: number;
  packets: number;
  /** Names the remote address had in the device's DNS answers. */
  names: string[];
  reason: string;
}

export interface Conformance {
  judged: number;
  permitted: number;
  /** DHCP, DNS and IPv6 neighbour discovery: not judged (see infrastructure.ts). */
  infrastructure: number;
  violations: Violation[];
  /** What the judgement could not take into account. */
  caveats: string[];
  /** The capture was cut at the limits: flows past them were not judged. */
  truncated: boolean;
}

export function conformance(mud: MudFile, capture: Capture, opts: ConformOptions): Conformance {
  const device = blockListOf(opts.device);
  const isDevice = (address: string) => contains(device, address);
  const around = surroundings(capture, isDevice, opts);
  const policy = new MudPolicy(mud, around);
  const names = namesByAddress(capture, isDevice);
  const groups = new Map<string, Violation>();
  let judged = 0;
  let permitted = 0;
  let infrastructure = 0;

  for (const flow of capture.flows) {
    const fromDevice = isDevice(flow.src);
    if (fromDevice === isDevice(flow.dst)) continue;
    const direction: Direction = fromDevice ? "from-device" : "to-device";
    if (isInfrastructure(flow, direction)) {
      infrastructure++;
      continue;
    }
    judged++;
    const decision = policy.decide(flow, direction);
    if (decision.permitted) {
      permitted++;
      continue;
    }
    const key = groupKey(flow, direction);
    const seen = groups.get(key);
    if (seen) {
      seen.flows++;
      seen.packets += flow.packets;
      continue;
    }
    const remote = fromDevice ? flow.dst : flow.src;
    const unknownOpener = flow.protocol === 6 && !flow.opener ? " (the capture does not show who opened this connection)" : "";
    groups.set(key, {
      direction, flow, flows: 1, packets: flow.packets,
      names: names.get(remote) ?? [],
      reason: (decision.ace ? `denied by ${decision.acl}/${decision.ace}` : `no entry of the ${direction} policy permits it`) + unknownOpener,
    });
  }

  const caveats = [...policy.caveats];
  if (capture.truncated) caveats.push("only the first part of the capture was judged (it exceeds the limits, or ends in the middle of a packet)");
  const others = otherAddresses(capture, isDevice);
  if (others.length > 0) caveats.push(`the device's MAC address also sent from ${others.join(", ")}; flows of those addresses were not judged (name them as device addresses too)`);
  const violations = [...groups.values()].sort((a, b) => a.flow.first - b.flow.first);
  return { judged, permitted, infrastructure, violations, caveats, truncated: capture.truncated };
}

/** The port of the side that was opened to, which stays the same over a device's many connections. */
function groupKey(flow: Flow, direction: Direction): string {
  const service = flow.opener === "src" ? `>${flow.dstPort ?? ""}` : flow.opener === "dst" ? `<${flow.srcPort ?? ""}` : `${flow.srcPort ?? ""}>${flow.dstPort ?? ""}`;
  return [direction, flow.protocol, flow.src, flow.dst, service, flow.icmpType ?? "", flow.icmpCode ?? ""].join(" ");
}

function surroundings(capture: Capture, isDevice: (a: string) => boolean, opts: ConformOptions): Surroundings {
  const dns = new Map<string, Set<string>>();
  for (const answer of capture.dns) {
    if (!isDevice(answer.client)) continue;
    const set = dns.get(answer.name) ?? new Set<string>();
    set.add(answer.address);
    dns.set(answer.name, set);
  }
  const resolvers = capture.flows.filter((f) => isDevice(f.dst) && f.srcPort === 53 && (f.protocol === 17 || f.protocol === 6)).map((f) => f.src);
  const controllers = new Map(Object.entries(opts.controllers ?? {}).map(([uri, addresses]) => [uri, blockListOf(addresses)]));
  if (!controllers.has(DNS_CONTROLLER) && resolvers.length > 0) controllers.set(DNS_CONTROLLER, blockListOf(new Set(resolvers)));
  const mudUrlByAddress = new Map<string, string>();
  for (const s of capture.sightings) if (s.address && !isDevice(s.address)) mudUrlByAddress.set(s.address, s.url);
  return {
    dns,
    localNetworks: blockListOf(opts.localNetworks ?? DEFAULT_LOCAL_NETWORKS),
    controllers,
    myControllers: blockListOf(opts.myControllers ?? []),
    mudUrlByAddress,
  };
}

/** Each address's names in the DNS answers the device received, names it asked for first (at most three). */
export function namesByAddress(capture: Capture, isDevice: (a: string) => boolean): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const ordered = [...capture.dns.filter((a) => a.asked), ...capture.dns.filter((a) => !a.asked)];
  for (const a of ordered) {
    if (!isDevice(a.client)) continue;
    const list = names.get(a.address) ?? [];
    if (list.length < 3 && !list.includes(a.name)) list.push(a.name);
    names.set(a.address, list);
  }
  return names;
}

/** Addresses the device's MAC sent from that were not named as the device's. */
function otherAddresses(capture: Capture, isDevice: (a: string) => boolean): string[] {
  const others = new Set<string>();
  for (const mac of deviceMacs(capture, isDevice)) {
    for (const a of capture.addressesByMac.get(mac) ?? []) if (!isDevice(a)) others.add(a);
  }
  return [...others];
}
