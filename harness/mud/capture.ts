// What a packet capture tells about MUD: the flows (by 5-tuple, with who opened each
// conversation), the DNS answers seen (to resolve the names a MUD file uses the way the device
// resolved them), and the MUD URLs devices emitted in DHCPv4 option 161, DHCPv6 option 112 and
// LLDP (IANA OUI 00-00-5E, subtype 1). Everything read is bounded: packets, flows, answers.
import { FlowTable, type Flow } from "./flows.js";
import { runTshark, type Layers, type TsharkSource } from "./tshark.js";

export type { Flow } from "./flows.js";

export interface DnsAnswer {
  /** The host the answer went to. */
  client: string;
  /** The name asked for, or a name on its CNAME chain; lower case, no trailing dot. */
  name: string;
  /** The name is the question's, not one the server aliased it to. */
  asked: boolean;
  address: string;
  time: number;
}

export type MudUrlVia = "DHCPv4 option 161" | "DHCPv6 option 112" | "LLDP";

export interface MudUrlSighting {
  url: string;
  via: MudUrlVia;
  /** Seconds since the epoch. */
  time: number;
  mac?: string;
  /** The sender's IP address, when the message tells it (DHCP: client, requested or assigned address). */
  address?: string;
}

export interface Capture {
  packets: number;
  /** Not all of the capture is here: more packets, flows or answers than the limits, or a file cut mid-packet. */
  truncated: boolean;
  flows: Flow[];
  dns: DnsAnswer[];
  sightings: MudUrlSighting[];
  /** The IP source addresses each MAC address sent from: ties a MUD URL seen in LLDP to an address. */
  addressesByMac: Map<string, Set<string>>;
}

export interface CaptureLimits {
  maxPackets: number;
  maxFlows: number;
  maxAnswers: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export const DEFAULT_CAPTURE_LIMITS: CaptureLimits = { maxPackets: 2_000_000, maxFlows: 200_000, maxAnswers: 100_000, timeoutMs: 10 * 60_000 };

const MAX_SIGHTINGS = 1000;
const MAX_ADDRESSES_PER_MAC = 16;
/** A host's MAC sends from a few addresses (IPv4, link-local, global, temporary IPv6); a router's from many. */
const MAX_HOST_ADDRESSES = 6;

const CAPTURE_FIELDS = [
  "frame.time_epoch", "eth.src",
  "ip.src", "ip.dst", "ip.proto", "ipv6.src", "ipv6.dst", "ipv6.nxt",
  "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "udp.srcport", "udp.dstport",
  "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
  "dns.flags.response", "dns.qry.name", "dns.resp.name", "dns.resp.type", "dns.a", "dns.aaaa", "dns.cname",
  "dhcp.option.dhcp", "dhcp.hw.mac_addr", "dhcp.ip.client", "dhcp.ip.your", "dhcp.option.requested_ip_address",
  "dhcp.option.mudurl", "dhcpv6.mudurl", "lldp.iana.mudurl",
];

/** The first value of an ek field (outer headers come first when a packet nests others). */
function first(layers: Layers, field: string): string | undefined {
  return layers[field.replace(/\./g, "_")]?.[0];
}

function all(layers: Layers, field: string): string[] {
  return layers[field.replace(/\./g, "_")] ?? [];
}

function num(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

const truthy = (value: string | undefined) => value === "1" || value === "true" || value === "True";
const UNSPECIFIED = new Set(["0.0.0.0", "::"]);
const DHCP_ACK = "5";

/** Reads a capture file (pcap or pcapng) with tshark. Throws CaptureError. */
export async function readCapture(file: string, limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS): Promise<Capture> {
  return collect({ file }, limits);
}

/** The packets of `source`, gathered into a Capture. */
export async function collect(source: TsharkSource, limits: CaptureLimits, onSighting?: (s: MudUrlSighting) => void): Promise<Capture> {
  const flows = new FlowTable(limits.maxFlows);
  const dns: DnsAnswer[] = [];
  const sightings: MudUrlSighting[] = [];
  const addressesByMac = new Map<string, Set<string>>();
  const assigned = new Map<string, string>();
  let answersCut = false;

  const sighted = (s: MudUrlSighting) => {
    if (sightings.length >= MAX_SIGHTINGS) return;
    sightings.push(s);
    onSighting?.(s);
  };

  const onPacket = (layers: Layers) => {
    const time = num(first(layers, "frame.time_epoch")) ?? 0;
    const mac = first(layers, "eth.src");
    const v4 = first(layers, "ip.src") !== undefined;
    const src = first(layers, v4 ? "ip.src" : "ipv6.src");
    const dst = first(layers, v4 ? "ip.dst" : "ipv6.dst");

    if (mac && src && !UNSPECIFIED.has(src)) {
      const set = addressesByMac.get(mac) ?? new Set<string>();
      if (set.size < MAX_ADDRESSES_PER_MAC) set.add(src);
      addressesByMac.set(mac, set);
    }
    if (src && dst) {
      // ICMP first: an ICMP error quotes the TCP or UDP header it is about, whose ports are not its own
      const icmp = first(layers, v4 ? "icmp.type" : "icmpv6.type") !== undefined;
      const tcp = !icmp && first(layers, "tcp.srcport") !== undefined;
      const udp = !icmp && !tcp && first(layers, "udp.srcport") !== undefined;
      const protocol = tcp ? 6 : udp ? 17 : icmp ? (v4 ? 1 : 58) : num(first(layers, v4 ? "ip.proto" : "ipv6.nxt")) ?? 0;
      flows.add({
        time, version: v4 ? 4 : 6, protocol, src, dst,
        srcPort: tcp || udp ? num(first(layers, tcp ? "tcp.srcport" : "udp.srcport")) : undefined,
        dstPort: tcp || udp ? num(first(layers, tcp ? "tcp.dstport" : "udp.dstport")) : undefined,
        icmpType: icmp ? num(first(layers, v4 ? "icmp.type" : "icmpv6.type")) : undefined,
        icmpCode: icmp ? num(first(layers, v4 ? "icmp.code" : "icmpv6.code")) : undefined,
        opening: tcp && truthy(first(layers, "tcp.flags.syn")) && !truthy(first(layers, "tcp.flags.ack")),
      });
    }
    if (src && dst && truthy(first(layers, "dns.flags.response"))) {
      const asked = new Set(all(layers, "dns.qry.name").map(dnsName));
      for (const [name, address] of dnsAddresses(layers)) {
        if (dns.length >= limits.maxAnswers) answersCut = true;
        else dns.push({ client: dst, name, asked: asked.has(name), address, time });
      }
    }

    const chaddr = first(layers, "dhcp.hw.mac_addr");
    if (first(layers, "dhcp.option.dhcp") === DHCP_ACK && chaddr) {
      const yiaddr = first(layers, "dhcp.ip.your");
      if (yiaddr && !UNSPECIFIED.has(yiaddr)) assigned.set(chaddr, yiaddr);
    }
    for (const url of all(layers, "dhcp.option.mudurl")) {
      const ciaddr = first(layers, "dhcp.ip.client");
      const address = ciaddr && !UNSPECIFIED.has(ciaddr) ? ciaddr : first(layers, "dhcp.option.requested_ip_address");
      sighted({ url, via: "DHCPv4 option 161", time, ...opt("mac", chaddr ?? mac), ...opt("address", address) });
    }
    for (const url of all(layers, "dhcpv6.mudurl")) sighted({ url, via: "DHCPv6 option 112", time, ...opt("mac", mac), ...opt("address", src) });
    for (const url of all(layers, "lldp.iana.mudurl")) sighted({ url, via: "LLDP", time, ...opt("mac", mac) });
  };

  const { packets, truncated } = await runTshark(source, CAPTURE_FIELDS, limits, onPacket);
  // A DHCP client asks before it has an address; the server's ACK says which one it got
  for (const s of sightings) {
    if (!s.address && s.mac && assigned.has(s.mac)) s.address = assigned.get(s.mac);
  }
  return { packets, truncated: truncated || flows.truncated || answersCut, flows: flows.flows(), dns, sightings, addressesByMac };
}

/**
 * The MAC addresses of the device: those that sent from one of its addresses and, being a host's
 * and not a router's, from few addresses in all.
 */
export function deviceMacs(capture: Capture, isDevice: (address: string) => boolean): Set<string> {
  const macs = new Set<string>();
  for (const [mac, sent] of capture.addressesByMac) {
    if (sent.size <= MAX_HOST_ADDRESSES && [...sent].some(isDevice)) macs.add(mac);
  }
  return macs;
}

function opt<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

const dnsName = (name: string) => name.toLowerCase().replace(/\.$/, "");

/**
 * The (name, address) pairs one DNS response gives, following CNAME chains within it: the name
 * asked for maps to the addresses at the end of its chain. tshark lists every record's name and
 * type in order, and each type's data field in the same order, which is how they are paired.
 */
function dnsAddresses(layers: Layers): [string, string][] {
  const names = all(layers, "dns.resp.name").map(dnsName);
  const types = all(layers, "dns.resp.type");
  const data: Record<string, string[]> = { "1": [...all(layers, "dns.a")], "28": [...all(layers, "dns.aaaa")], "5": [...all(layers, "dns.cname")] };
  const aliasesOf = new Map<string, string[]>();
  const direct: [string, string][] = [];
  names.forEach((name, i) => {
    const value = data[types[i] ?? ""]?.shift();
    if (value === undefined) return;
    if (types[i] === "5") {
      const target = dnsName(value);
      aliasesOf.set(target, [...(aliasesOf.get(target) ?? []), name]);
    } else {
      direct.push([name, value]);
    }
  });
  const pairs: [string, string][] = [];
  for (const [name, address] of direct) {
    // Walk the chain back to every alias; a loop or a long chain stops at the visited set's size
    const seen = new Set([name]);
    const queue = [name];
    while (queue.length > 0 && seen.size < 32) {
      for (const alias of aliasesOf.get(queue.shift()!) ?? []) {
        if (!seen.has(alias)) {
          seen.add(alias);
          queue.push(alias);
        }
      }
    }
    for (const n of seen) pairs.push([n, address]);
  }
  return pairs;
}
