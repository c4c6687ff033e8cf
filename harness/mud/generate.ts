// Proposes a MUD file from a device's observed traffic, for a manufacturer to review and publish:
// one access-list entry per distinct kind of flow in each direction. The remote end is named the
// way the device found it (the DNS name it asked for, from the capture's answers), else as
// local-networks when it is local, else by its address. TCP entries say who opened the
// connection; the service port (the side that was connected to) is kept, ephemeral ports are not.
import { createHash } from "node:crypto";
import type { Capture, Flow } from "./capture.js";
import { DEFAULT_LOCAL_NETWORKS, namesByAddress } from "./conform.js";
import { isInfrastructure } from "./infrastructure.js";
import type { Ace, Acl, Direction, Matches, MudFile } from "./model.js";
import { blockListOf, contains } from "./policy.js";

export interface GenerateOptions {
  /** The device's addresses. */
  device: string[];
  mudUrl: string;
  localNetworks?: string[];
  mfgName?: string;
  modelName?: string;
  now?: Date;
}

export interface Generated {
  mud: MudFile;
  /** Flows left out as network infrastructure (DHCP, DNS, neighbour discovery). */
  infrastructure: number;
}

interface Peer {
  name?: string;
  local?: boolean;
  address?: string;
}

export function generateMud(capture: Capture, opts: GenerateOptions): Generated {
  const device = blockListOf(opts.device);
  const isDevice = (a: string) => contains(device, a);
  const local = blockListOf(opts.localNetworks ?? DEFAULT_LOCAL_NETWORKS);
  const names = namesByAddress(capture, isDevice);
  const id = Number.parseInt(createHash("sha256").update(opts.mudUrl).digest("hex").slice(0, 8), 16) % 100000;
  const acls = new Map<string, { acl: Acl; seen: Set<string> }>();
  let infrastructure = 0;

  for (const flow of capture.flows) {
    const fromDevice = isDevice(flow.src);
    if (fromDevice === isDevice(flow.dst)) continue;
    const direction: Direction = fromDevice ? "from-device" : "to-device";
    if (isInfrastructure(flow, direction)) {
      infrastructure++;
      continue;
    }
    const remote = fromDevice ? flow.dst : flow.src;
    const name = names.get(remote)?.[0];
    const peer: Peer = name ? { name } : contains(local, remote) ? { local: true } : { address: remote };
    const matches = matchesFor(flow, direction, peer);
    const aclName = `mud-${String(id).padStart(5, "0")}-v${flow.version}${fromDevice ? "fr" : "to"}`;
    const entry = acls.get(aclName) ?? { acl: { name: aclName, type: `ipv${flow.version}-acl-type`, aces: { ace: [] } }, seen: new Set<string>() };
    acls.set(aclName, entry);
    const key = JSON.stringify(matches);
    if (entry.seen.has(key)) continue;
    entry.seen.add(key);
    const list = entry.acl.aces!.ace!;
    const kind = peer.name ? "cl" : peer.local ? "loc" : "ip";
    const ace: Ace = { name: `${kind}${list.length}-${fromDevice ? "fr" : "to"}dev`, matches, actions: { forwarding: "accept" } };
    list.push(ace);
  }

  const all = [...acls.values()].map((e) => e.acl).sort((a, b) => a.name.localeCompare(b.name));
  const refs = (suffix: string) => all.filter((a) => a.name.endsWith(suffix)).map((a) => ({ name: a.name }));
  const from = refs("fr");
  const to = refs("to");
  const mud: MudFile = {
    "ietf-mud:mud": {
      "mud-version": 1,
      "mud-url": opts.mudUrl,
      "last-update": (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "+00:00"),
      "cache-validity": 48,
      "is-supported": true,
      systeminfo: "Proposed by iotcert from observed traffic; review before publishing",
      ...(opts.mfgName ? { "mfg-name": opts.mfgName } : {}),
      ...(opts.modelName ? { "model-name": opts.modelName } : {}),
      ...(from.length ? { "from-device-policy": { "access-lists": { "access-list": from } } } : {}),
      ...(to.length ? { "to-device-policy": { "access-lists": { "access-list": to } } } : {}),
    },
    "ietf-access-control-list:acls": { acl: all },
  };
  return { mud, infrastructure };
}

/** The matches one flow needs: the remote end, the protocol, the service port, who opened it. */
function matchesFor(flow: Flow, direction: Direction, peer: Peer): Matches {
  const fromDevice = direction === "from-device";
  const v = flow.version === 4 ? "ipv4" : "ipv6";
  const ip: Record<string, unknown> = { protocol: flow.protocol };
  if (peer.name) ip[fromDevice ? "ietf-acldns:dst-dnsname" : "ietf-acldns:src-dnsname"] = peer.name;
  if (peer.address) ip[`${fromDevice ? "destination" : "source"}-${v}-network`] = `${peer.address}/${flow.version === 4 ? 32 : 128}`;
  const matches: Matches = { [v]: ip };
  if (peer.local) matches["ietf-mud:mud"] = { "local-networks": [null] };

  if (flow.protocol === 6 || flow.protocol === 17) {
    // The service port is on the side that was opened to; without a seen opener, the lower port
    const opener = flow.opener ?? ((flow.srcPort ?? 0) > (flow.dstPort ?? 0) ? "src" : "dst");
    const side = opener === "src" ? "destination-port" : "source-port";
    const port = opener === "src" ? flow.dstPort : flow.srcPort;
    const l4: Record<string, unknown> = port === undefined ? {} : { [side]: { operator: "eq", port } };
    if (flow.protocol === 6 && flow.opener) {
      const deviceOpened = (flow.opener === "src") === fromDevice;
      l4["ietf-mud:direction-initiated"] = deviceOpened ? "from-device" : "to-device";
    }
    matches[flow.protocol === 6 ? "tcp" : "udp"] = l4;
  } else if (flow.protocol === 1 || flow.protocol === 58) {
    matches.icmp = flow.icmpType === undefined ? {} : { type: flow.icmpType, ...(flow.icmpCode === undefined ? {} : { code: flow.icmpCode }) };
  }
  return matches;
}
