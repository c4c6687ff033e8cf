// Does a MUD policy permit a flow? The direction's access lists are tried in order, and each list's
// entries in order; the first entry whose matches all hold decides by its action (RFC 8519). A
// flow no entry matches is not permitted: a MUD file lists what a device may do.
//
// What cannot be told from a flow summary (TTL, DSCP, lengths, TCP flags and the like; Ethernet
// fields; interfaces) is left out of the match and reported once as a caveat, so a verdict never
// rests silently on a field nobody looked at.
import { BlockList, isIP } from "node:net";
import type { Flow } from "./flows.js";
import { identity, policyAcls, type Ace, type Acl, type Direction, type IpMatch, type MudFile, type PortMatch } from "./model.js";

/** What the capture and the lab know about the device's surroundings, for the MUD abstractions. */
export interface Surroundings {
  /** name → addresses, from the capture's DNS answers to the device. */
  dns: Map<string, Set<string>>;
  /** local-networks. */
  localNetworks: BlockList;
  /** controller classes (URIs) → their addresses. */
  controllers: Map<string, BlockList>;
  /** my-controller. */
  myControllers: BlockList;
  /** Other devices' MUD URLs by address (seen in the capture), for manufacturer, same-manufacturer and model. */
  mudUrlByAddress: Map<string, string>;
}

export interface Decision {
  permitted: boolean;
  /** The access list and entry that decided, when one did. */
  acl?: string;
  ace?: string;
}

/** Fields a flow summary does not carry: matched as if absent, and reported as caveats. */
const UNSEEN_IP = ["dscp", "ecn", "length", "ttl", "ihl", "flags", "offset", "identification", "flow-label"];
const UNSEEN_L4 = ["sequence-number", "acknowledgement-number", "data-offset", "reserved", "flags", "window-size", "urgent-pointer", "options", "length", "rest-of-header"];

export class MudPolicy {
  readonly #authority: string | undefined;
  readonly caveats = new Set<string>();

  constructor(
    private readonly mud: MudFile,
    private readonly around: Surroundings,
  ) {
    this.#authority = authorityOf(mud["ietf-mud:mud"]["mud-url"]);
  }

  decide(flow: Flow, direction: Direction): Decision {
    for (const acl of policyAcls(this.mud, direction)) {
      for (const ace of acl.aces?.ace ?? []) {
        if (this.#matches(acl, ace, flow, direction)) {
          return { permitted: identity(ace.actions.forwarding) === "accept", acl: acl.name, ace: ace.name };
        }
      }
    }
    return { permitted: false };
  }

  #matches(acl: Acl, ace: Ace, flow: Flow, direction: Direction): boolean {
    const m = ace.matches ?? {};
    const where = `${acl.name}/${ace.name}`;
    if (!versionAllowed(acl, flow)) return false;
    if (m.eth) this.caveats.add(`${where} matches Ethernet fields, which were not compared`);
    if (m["egress-interface"] || m["ingress-interface"]) this.caveats.add(`${where} matches an interface, which was not compared`);

    const ip = flow.version === 4 ? m.ipv4 : m.ipv6;
    if ((flow.version === 4 && m.ipv6) || (flow.version === 6 && m.ipv4)) return false;
    if (ip && !this.#ipMatches(ip, flow, where)) return false;

    if (m.tcp) {
      if (flow.protocol !== 6 || !portsMatch(m.tcp, flow)) return false;
      const initiated = m.tcp["ietf-mud:direction-initiated"];
      // The device opened the connection when it is the opener: the source of a from-device flow
      if (initiated) {
        if (!flow.opener) return false;
        const deviceOpened = (flow.opener === "src") === (direction === "from-device");
        if (deviceOpened !== (initiated === "from-device")) return false;
      }
      this.#unseen(m.tcp, UNSEEN_L4, where);
    }
    if (m.udp) {
      if (flow.protocol !== 17 || !portsMatch(m.udp, flow)) return false;
      this.#unseen(m.udp, UNSEEN_L4, where);
    }
    if (m.icmp) {
      if (flow.protocol !== (flow.version === 4 ? 1 : 58)) return false;
      if (m.icmp.type !== undefined && m.icmp.type !== flow.icmpType) return false;
      if (m.icmp.code !== undefined && m.icmp.code !== flow.icmpCode) return false;
      this.#unseen(m.icmp, UNSEEN_L4, where);
    }
    const mud = m["ietf-mud:mud"];
    if (mud) {
      const remote = direction === "from-device" ? flow.dst : flow.src;
      const remoteUrl = this.around.mudUrlByAddress.get(remote);
      const remoteAuthority = remoteUrl === undefined ? undefined : authorityOf(remoteUrl);
      if (mud.manufacturer !== undefined && remoteAuthority !== mud.manufacturer.toLowerCase()) return false;
      if (mud["same-manufacturer"] && (remoteAuthority === undefined || remoteAuthority !== this.#authority)) return false;
      if (mud.model !== undefined && remoteUrl !== mud.model) return false;
      if (mud["local-networks"] && !contains(this.around.localNetworks, remote)) return false;
      if (mud.controller !== undefined) {
        const members = this.around.controllers.get(mud.controller);
        if (!members) this.caveats.add(`no addresses are known for controller ${mud.controller}`);
        if (!members || !contains(members, remote)) return false;
      }
      if (mud["my-controller"] && !contains(this.around.myControllers, remote)) return false;
    }
    return true;
  }

  #ipMatches(ip: IpMatch, flow: Flow, where: string): boolean {
    if (ip.protocol !== undefined && ip.protocol !== flow.protocol) return false;
    const v = flow.version === 4 ? "ipv4" : "ipv6";
    const src = ip[`source-${v}-network`];
    const dst = ip[`destination-${v}-network`];
    if (src !== undefined && !inPrefix(src, flow.src)) return false;
    if (dst !== undefined && !inPrefix(dst, flow.dst)) return false;
    const srcName = ip["ietf-acldns:src-dnsname"];
    const dstName = ip["ietf-acldns:dst-dnsname"];
    if (srcName !== undefined && !this.#resolves(srcName, flow.src)) return false;
    if (dstName !== undefined && !this.#resolves(dstName, flow.dst)) return false;
    this.#unseen(ip, UNSEEN_IP, where);
    return true;
  }

  #resolves(name: string, address: string): boolean {
    return this.around.dns.get(name.toLowerCase().replace(/\.$/, ""))?.has(address) ?? false;
  }

  #unseen(container: object, fields: string[], where: string): void {
    for (const f of fields) if (f in container) this.caveats.add(`${where} matches ${f}, which a flow summary does not show; judged without it`);
  }
}

function versionAllowed(acl: Acl, flow: Flow): boolean {
  const type = acl.type === undefined ? "" : identity(acl.type);
  if (type === "ipv4-acl-type" || type === "mixed-eth-ipv4-acl-type") return flow.version === 4;
  if (type === "ipv6-acl-type" || type === "mixed-eth-ipv6-acl-type") return flow.version === 6;
  return type !== "eth-acl-type";
}

function portsMatch(l4: { "source-port"?: PortMatch; "destination-port"?: PortMatch }, flow: Flow): boolean {
  return portMatches(l4["source-port"], flow.srcPort) && portMatches(l4["destination-port"], flow.dstPort);
}

function portMatches(match: PortMatch | undefined, port: number | undefined): boolean {
  if (!match) return true;
  if (port === undefined) return false;
  if ("lower-port" in match) return port >= match["lower-port"] && port <= match["upper-port"];
  switch (match.operator ?? "eq") {
    case "eq": return port === match.port;
    case "neq": return port !== match.port;
    case "lte": return port <= match.port;
    case "gte": return port >= match.port;
  }
}

function inPrefix(prefix: string, address: string): boolean {
  const [net, bits] = prefix.split("/") as [string, string];
  const family = isIP(net) === 6 ? "ipv6" : "ipv4";
  if (isIP(address) !== isIP(net)) return false;
  const list = new BlockList();
  list.addSubnet(net, Number(bits), family);
  return list.check(address, family);
}

/** Whether `address` is in `list`; false for anything that is not an IP address. */
export function contains(list: BlockList, address: string): boolean {
  const family = isIP(address) === 6 ? "ipv6" : isIP(address) === 4 ? "ipv4" : undefined;
  return family !== undefined && list.check(address, family);
}

/** The authority (host) of a MUD URL, lower case: what manufacturer and same-manufacturer compare. */
export function authorityOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

export class AddressError extends Error {
  override readonly name = "AddressError";
}

/** A BlockList of prefixes ("198.18.0.0/15") and single addresses. Throws AddressError on a malformed one. */
export function blockListOf(entries: Iterable<string>): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split("/") as [string, string | undefined];
    const version = isIP(address);
    if (version === 0) throw new AddressError(`${JSON.stringify(entry)} is not an IP address or prefix`);
    const family = version === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, family);
    else {
      const n = Number(bits);
      if (!/^\d+$/.test(bits) || n > (version === 6 ? 128 : 32)) throw new AddressError(`${JSON.stringify(entry)} has a bad prefix length`);
      list.addSubnet(address, n, family);
    }
  }
  return list;
}
