// The rules of a MUD file that its JSON Schema cannot say: references between lists, YANG choices
// and `when` conditions, protocol against port matches, well-formed DNS names, the URL it was
// fetched from, sane dates. Run on a file the schema accepted, so the types hold.
import { isIP, isIPv6 } from "node:net";
import { identity, type Acl, type Ace, type Direction, type IpMatch, type Matches, type MudFile, type PortMatch } from "./model.js";
import { describe, join, type MudProblem } from "./schema.js";
import { httpsUrlProblems, mudUrlProblems, sameUrl } from "./url-rules.js";

export interface RuleOptions {
  /** The URL the file was fetched from: mud-url must name it (RFC 8520). */
  url?: string;
  now: Date;
}

export interface RuleResult {
  problems: MudProblem[];
  /** Worth a finding, but the file is still valid (is-supported false, an ACL no policy uses). */
  notes: MudProblem[];
}

const MUD = "ietf-mud:mud";
const ACLS = "ietf-access-control-list:acls";
/** Clock difference tolerated before a last-update counts as in the future. */
const CLOCK_SKEW_MS = 24 * 3600_000;
const KNOWN_MATCHES = new Set(["eth", "ipv4", "ipv6", "tcp", "udp", "icmp", "ietf-mud:mud", "egress-interface", "ingress-interface"]);

export function mudRules(mud: MudFile, opts: RuleOptions): RuleResult {
  const problems: MudProblem[] = [];
  const notes: MudProblem[] = [];
  const head = mud[MUD];

  for (const p of mudUrlProblems(head["mud-url"])) problems.push({ path: `${MUD}.mud-url`, message: p });
  if (opts.url !== undefined && !sameUrl(head["mud-url"], opts.url)) {
    problems.push({ path: `${MUD}.mud-url`, message: `${describe(head["mud-url"])} is not the URL the file came from (${describe(opts.url)})` });
  }
  if (head["mud-signature"] !== undefined) {
    for (const p of httpsUrlProblems(head["mud-signature"])) problems.push({ path: `${MUD}.mud-signature`, message: p });
  }
  const updated = Date.parse(head["last-update"]);
  if (updated > opts.now.getTime() + CLOCK_SKEW_MS) {
    problems.push({ path: `${MUD}.last-update`, message: `${head["last-update"]} is in the future` });
  }
  if (!head["is-supported"]) {
    notes.push({ path: `${MUD}.is-supported`, message: "false: the manufacturer no longer supports this device" });
  }
  problems.push(...undeclaredExtensions(mud));

  const acls = mud[ACLS]?.acl ?? [];
  problems.push(...duplicates(acls.map((a) => a.name), (i) => `${ACLS}.acl[${i}].name`, "ACL"));
  const usedBy = new Map<string, Direction[]>();
  for (const direction of ["from-device", "to-device"] as const) {
    const policy = `${direction}-policy` as const;
    (head[policy]?.["access-lists"]?.["access-list"] ?? []).forEach((ref, i) => {
      if (!acls.some((a) => a.name === ref.name)) {
        problems.push({ path: `${MUD}.${policy}.access-lists.access-list[${i}].name`, message: `names ACL ${describe(ref.name)}, which ${ACLS} does not define` });
      }
      usedBy.set(ref.name, [...(usedBy.get(ref.name) ?? []), direction]);
    });
  }
  acls.forEach((acl, i) => {
    const path = `${ACLS}.acl[${i}]`;
    const directions = usedBy.get(acl.name) ?? [];
    if (directions.length === 0) notes.push({ path, message: `ACL ${describe(acl.name)} is not used by either policy` });
    const aces = acl.aces?.ace ?? [];
    problems.push(...duplicates(aces.map((a) => a.name), (j) => `${path}.aces.ace[${j}].name`, "ACE"));
    aces.forEach((ace, j) => {
      const acePath = `${path}.aces.ace[${j}]`;
      problems.push(...aceProblems(acl, ace, `${acePath}.matches`));
      notes.push(...selfMatches(ace, directions, `${acePath}.matches`));
    });
  });
  return { problems, notes };
}

function duplicates(names: string[], pathOf: (i: number) => string, what: string): MudProblem[] {
  return names.flatMap((name, i) => {
    const first = names.indexOf(name);
    return first < i ? [{ path: pathOf(i), message: `${what} name ${describe(name)} is used twice (also ${pathOf(first)})` }] : [];
  });
}

/** RFC 8520: an extension's members may be used only once `extensions` declares it. */
function undeclaredExtensions(mud: MudFile): MudProblem[] {
  if ((mud[MUD].extensions ?? []).length > 0) return [];
  const qualified = (o: object, path: string, known: (key: string) => boolean) =>
    Object.keys(o).filter((k) => k.includes(":") && !known(k)).map((k) => ({
      path: join(path, k), message: `extension member ${describe(k)} is used, but "extensions" declares no extension`,
    }));
  const inMatches = (mud[ACLS]?.acl ?? []).flatMap((acl, i) => (acl.aces?.ace ?? []).flatMap((ace, j) =>
    qualified(ace.matches ?? {}, `${ACLS}.acl[${i}].aces.ace[${j}].matches`, (k) => KNOWN_MATCHES.has(k))));
  return [...qualified(mud[MUD], MUD, () => false), ...inMatches];
}

/** Which IP versions (and whether Ethernet fields) an ACL of this type may match on (RFC 8519 `when`). */
function typeAllows(acl: Acl): { ipv4: boolean; ipv6: boolean; eth: boolean; l4: boolean } {
  const type = acl.type === undefined ? undefined : identity(acl.type);
  if (type === undefined || type === "mixed-eth-ipv4-ipv6-acl-type") return { ipv4: true, ipv6: true, eth: true, l4: true };
  return {
    ipv4: type.includes("ipv4"),
    ipv6: type.includes("ipv6"),
    eth: type.startsWith("eth") || type.startsWith("mixed-eth"),
    l4: type !== "eth-acl-type",
  };
}

const L4_PROTOCOL = { tcp: 6, udp: 17 } as const;

function aceProblems(acl: Acl, ace: Ace, path: string): MudProblem[] {
  const m: Matches = ace.matches ?? {};
  const problems: MudProblem[] = [];
  const at = (key: string, message: string) => problems.push({ path: join(path, key), message });
  const allows = typeAllows(acl);
  const type = acl.type ?? "";

  if (m.ipv4 && m.ipv6) at("ipv6", "an entry matches ipv4 or ipv6, not both");
  const l4 = (["tcp", "udp", "icmp"] as const).filter((k) => m[k]);
  if (l4.length > 1) at(l4[1]!, `an entry matches one of tcp, udp and icmp, not ${l4.join(" and ")}`);
  if (m.ipv4 && !allows.ipv4) at("ipv4", `ipv4 matches in an ACL of type ${type}`);
  if (m.ipv6 && !allows.ipv6) at("ipv6", `ipv6 matches in an ACL of type ${type}`);
  if (m.eth && !allows.eth) at("eth", `Ethernet matches in an ACL of type ${type}`);
  if (l4.length > 0 && !allows.l4) at(l4[0]!, `${l4[0]} matches in an ACL of type ${type}`);

  const [ipKey, ip] = m.ipv4 ? (["ipv4", m.ipv4] as const) : m.ipv6 ? (["ipv6", m.ipv6] as const) : [undefined, undefined];
  if (ipKey && ip) {
    const protocol = ip.protocol;
    for (const k of ["tcp", "udp"] as const) {
      if (m[k] && protocol !== undefined && protocol !== L4_PROTOCOL[k]) at(`${ipKey}.protocol`, `protocol ${protocol} contradicts the ${k} match (${k} is ${L4_PROTOCOL[k]})`);
    }
    const icmpProtocol = ipKey === "ipv4" ? 1 : 58;
    if (m.icmp && protocol !== undefined && protocol !== icmpProtocol) at(`${ipKey}.protocol`, `protocol ${protocol} contradicts the icmp match (ICMP over ${ipKey} is ${icmpProtocol})`);
    problems.push(...ipProblems(ip, join(path, ipKey)));
  }
  for (const k of ["tcp", "udp"] as const) {
    for (const side of ["source-port", "destination-port"] as const) {
      const port = m[k]?.[side];
      if (port) problems.push(...portProblems(port, join(path, `${k}.${side}`)));
    }
  }
  const manufacturer = m["ietf-mud:mud"]?.manufacturer;
  if (manufacturer !== undefined) {
    const wrong = hostNameProblem(manufacturer);
    if (wrong) at("ietf-mud:mud.manufacturer", wrong);
  }
  return problems;
}

function ipProblems(ip: IpMatch, path: string): MudProblem[] {
  const problems: MudProblem[] = [];
  for (const key of ["ietf-acldns:src-dnsname", "ietf-acldns:dst-dnsname"] as const) {
    const name = ip[key];
    const wrong = name === undefined ? undefined : hostNameProblem(name);
    if (wrong) problems.push({ path: join(path, key), message: wrong });
  }
  for (const key of ["source-ipv6-network", "destination-ipv6-network"] as const) {
    const prefix = ip[key];
    if (prefix !== undefined && !isIPv6(prefix.split("/")[0]!)) problems.push({ path: join(path, key), message: `${describe(prefix)} is not an IPv6 prefix` });
  }
  return problems;
}

function portProblems(port: PortMatch, path: string): MudProblem[] {
  if ("lower-port" in port && port["lower-port"] > port["upper-port"]) {
    return [{ path, message: `lower-port ${port["lower-port"]} is above upper-port ${port["upper-port"]}` }];
  }
  return [];
}

const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

/** Why `name` is not a well-formed DNS host name (inet:domain-name of RFC 6991), if it is not. */
function hostNameProblem(name: string): string | undefined {
  if (isIP(name)) return `${describe(name)} is an IP address, not a DNS name; match it with a network instead`;
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  if (bare.length === 0 || bare.length > 253) return `${describe(name)} is not a DNS name (1 to 253 characters)`;
  const bad = bare.split(".").find((label) => !LABEL.test(label));
  if (bad !== undefined) return `${describe(name)} is not a well-formed DNS name (label ${describe(bad)})`;
  return undefined;
}

/**
 * A from-device ACL matching on a source name (or a to-device one on a destination name) matches
 * on the device's own address: almost surely src and dst swapped.
 */
function selfMatches(ace: Ace, directions: Direction[], path: string): MudProblem[] {
  if (directions.length !== 1) return [];
  const ownSide = directions[0] === "from-device" ? "src" : "dst";
  const ip = ace.matches?.ipv4 ?? ace.matches?.ipv6;
  const key = `ietf-acldns:${ownSide}-dnsname` as const;
  if (!ip?.[key]) return [];
  return [{ path: join(path, ace.matches?.ipv4 ? `ipv4.${key}` : `ipv6.${key}`), message: `in a ${directions[0]} ACL the ${ownSide === "src" ? "source" : "destination"} is the device itself; src and dst swapped?` }];
}
