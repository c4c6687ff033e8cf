// The shape of a MUD file in its JSON encoding (RFC 8520 with RFC 8519 access lists and the
// ietf-acldns extension, encoded per RFC 7951). harness/schema/mud.schema.json is the authority;
// these types describe the documents it accepts. YANG `empty` leaves are `[null]` in JSON.

export type Empty = [null];

export interface MudFile {
  "ietf-mud:mud": MudContainer;
  "ietf-access-control-list:acls"?: { acl?: Acl[] };
}

export interface MudContainer {
  "mud-version": number;
  "mud-url": string;
  "last-update": string;
  "mud-signature"?: string;
  "cache-validity"?: number;
  "is-supported": boolean;
  systeminfo?: string;
  "mfg-name"?: string;
  "model-name"?: string;
  "firmware-rev"?: string;
  "software-rev"?: string;
  documentation?: string;
  extensions?: string[];
  "from-device-policy"?: Policy;
  "to-device-policy"?: Policy;
}

export interface Policy {
  "access-lists"?: { "access-list"?: { name: string }[] };
}

export interface Acl {
  name: string;
  type?: string;
  aces?: { ace?: Ace[] };
}

export interface Ace {
  name: string;
  matches?: Matches;
  actions: { forwarding: string; logging?: string };
}

export interface Matches {
  eth?: Record<string, unknown>;
  ipv4?: IpMatch;
  ipv6?: IpMatch;
  tcp?: TcpMatch;
  udp?: PortsMatch;
  icmp?: { type?: number; code?: number; "rest-of-header"?: string };
  "ietf-mud:mud"?: MudMatch;
  "egress-interface"?: string;
  "ingress-interface"?: string;
}

export interface IpMatch {
  protocol?: number;
  "source-ipv4-network"?: string;
  "destination-ipv4-network"?: string;
  "source-ipv6-network"?: string;
  "destination-ipv6-network"?: string;
  "ietf-acldns:src-dnsname"?: string;
  "ietf-acldns:dst-dnsname"?: string;
  [field: string]: unknown;
}

export type PortMatch = { operator?: "lte" | "gte" | "eq" | "neq"; port: number } | { "lower-port": number; "upper-port": number };

export interface PortsMatch {
  "source-port"?: PortMatch;
  "destination-port"?: PortMatch;
  [field: string]: unknown;
}

export interface TcpMatch extends PortsMatch {
  "ietf-mud:direction-initiated"?: Direction;
}

export interface MudMatch {
  manufacturer?: string;
  "same-manufacturer"?: Empty;
  model?: string;
  "local-networks"?: Empty;
  controller?: string;
  "my-controller"?: Empty;
}

/** Which way a packet goes relative to the device; also which side opened a TCP connection. */
export type Direction = "from-device" | "to-device";

const POLICY_OF: Record<Direction, "from-device-policy" | "to-device-policy"> = {
  "from-device": "from-device-policy",
  "to-device": "to-device-policy",
};

/** An identity value without the module prefix RFC 7951 allows ("ietf-access-control-list:accept" → "accept"). */
export function identity(value: string): string {
  return value.slice(value.indexOf(":") + 1);
}

/** The access lists a direction's policy names, in its order; names no list has are skipped (validation reports them). */
export function policyAcls(mud: MudFile, direction: Direction): Acl[] {
  const names = mud["ietf-mud:mud"][POLICY_OF[direction]]?.["access-lists"]?.["access-list"]?.map((a) => a.name) ?? [];
  const byName = new Map((mud["ietf-access-control-list:acls"]?.acl ?? []).map((acl) => [acl.name, acl]));
  return names.flatMap((name) => byName.get(name) ?? []);
}
