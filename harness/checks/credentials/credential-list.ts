// The credentials tried on one login service, in order: what the manufacturer declared, what the
// user added, then the built-in lists (harness/data/credentials, see SOURCES.md there).
import { loadDataText } from "../../core/data.js";
import { readCredentialList, type CredentialPair } from "../../schema/credential-lists.js";
import { ValidationError } from "../../schema/load.js";
import type { RunOptions } from "../../core/types.js";
import type { Descriptor } from "../../schema/types.js";

export type CredentialSource = "declared" | "user" | "mirai" | "iot-defaults" | "snmp-communities" | "anonymous";

export interface Candidate {
  username: string;
  password: string;
  source: CredentialSource;
  /** Declared to differ on every unit: that it works is expected, not a finding. */
  unique: boolean;
}

/** A login service as the credential lists see it: `kind` groups https with http. */
export interface LoginService {
  name: string;
  kind: "telnet" | "http" | "form" | "rtsp" | "mqtt" | "snmp" | "ssh" | "ftp";
  tls?: boolean;
  /** It refuses an empty user name or password unchecked (Node-RED's token endpoint): such pairs are no candidates. */
  nonEmpty?: boolean;
}

/**
 * Whether a declared credential is for `service`: it names none (every service), the service's
 * name or kind, or it is for http (any web login: Basic, Digest or a form) or https (one over TLS).
 */
export function declaredFor(credential: { service?: string }, service: LoginService): boolean {
  const s = credential.service;
  if (s === undefined || s === service.name || s === service.kind) return true;
  return service.kind === "form" && (s === "http" || (s === "https" && service.tls === true));
}

type BuiltIn = "mirai" | "iot-defaults" | "snmp-communities";

const builtIns = new Map<BuiltIn, CredentialPair[]>();

function builtIn(list: BuiltIn): CredentialPair[] {
  let pairs = builtIns.get(list);
  if (!pairs) {
    const file = `credentials/${list}.csv`;
    const read = readCredentialList(`harness/data/${file}`, loadDataText(file));
    if (read.issues.length > 0) throw new ValidationError(read.issues);
    pairs = read.pairs;
    builtIns.set(list, pairs);
  }
  return pairs;
}

/**
 * The ordered, deduplicated candidates for `service`. Declared credentials (for this service or
 * for every service) always come first and are always tried: the manufacturer's own statement
 * must be checked whatever the pace. The rest — the user's extras, then Mirai's list before the
 * IoT defaults on telnet (Mirai is a telnet botnet) and after them elsewhere — is cut at `limit`.
 */
const NAMED_LOGINS: ReadonlySet<LoginService["kind"]> = new Set(["telnet", "ssh", "ftp"]);

export function candidatesFor(device: Descriptor, options: RunOptions, service: LoginService, limit: number): Candidate[] {
  const seen = new Set<string>();
  // Telnet, SSH and FTP logins cannot take an empty user name: password-only pairs are for HTTP
  // (and SNMP communities, which are only a "password")
  // A community is a password alone: it is asked once, whatever user name a list gives it.
  const fresh = (c: CredentialPair) => {
    const key = service.kind === "snmp" ? c.password : `${c.username}\u0000${c.password}`;
    if (seen.has(key) || (NAMED_LOGINS.has(service.kind) && !c.username) || (service.nonEmpty && (!c.username || !c.password))) return false;
    seen.add(key);
    return true;
  };

  const declared: Candidate[] = (device.declared?.credentials ?? [])
    .filter((c) => declaredFor(c, service))
    .filter(fresh)
    .map((c) => ({ username: c.username, password: c.password, source: "declared", unique: c.unique === true }));

  // SNMP has no user names: its communities are a list of their own
  const lists: BuiltIn[] = service.kind === "telnet" ? ["mirai", "iot-defaults"] : service.kind === "snmp" ? ["snmp-communities"] : ["iot-defaults", "mirai"];
  const pools: { source: CredentialSource; pairs: CredentialPair[] }[] = [
    { source: "user", pairs: options.extraCredentials ?? [] },
    ...lists.map((list) => ({ source: list, pairs: builtIn(list) })),
  ];
  const rest: Candidate[] = [];
  for (const { source, pairs } of pools) {
    for (const { username, password } of pairs) {
      if (rest.length >= limit) return [...declared, ...rest];
      if (fresh({ username, password })) rest.push({ username, password, source, unique: false });
    }
  }
  return [...declared, ...rest];
}
