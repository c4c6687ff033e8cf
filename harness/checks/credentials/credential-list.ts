// The credentials tried on one login service, in order: what the manufacturer declared, what the
// user added, then the built-in lists (harness/data/credentials, see SOURCES.md there).
import { loadDataText } from "../../core/data.js";
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
}

type BuiltIn = "mirai" | "iot-defaults" | "snmp-communities";
type Pair = { username: string; password: string };

/** Rows of a CSV text (RFC 4180 quoting), header included. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      rows.push([...row, field]);
      row = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

const builtIns = new Map<BuiltIn, Pair[]>();

function builtIn(list: BuiltIn): Pair[] {
  let pairs = builtIns.get(list);
  if (!pairs) {
    const [header = [], ...rows] = parseCsv(loadDataText(`credentials/${list}.csv`));
    const user = header.indexOf("username");
    const pass = header.indexOf("password");
    if (user < 0 || pass < 0) throw new Error(`harness/data/credentials/${list}.csv needs username and password columns`);
    pairs = rows.map((r) => ({ username: r[user] ?? "", password: r[pass] ?? "" }));
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
  const fresh = (c: Pair) => {
    const key = service.kind === "snmp" ? c.password : `${c.username}\u0000${c.password}`;
    if (seen.has(key) || (NAMED_LOGINS.has(service.kind) && !c.username)) return false;
    seen.add(key);
    return true;
  };

  const declared: Candidate[] = (device.declared?.credentials ?? [])
    .filter((c) => c.service === undefined || c.service === service.name || c.service === service.kind)
    .filter(fresh)
    .map((c) => ({ username: c.username, password: c.password, source: "declared", unique: c.unique === true }));

  // SNMP has no user names: its communities are a list of their own
  const lists: BuiltIn[] = service.kind === "telnet" ? ["mirai", "iot-defaults"] : service.kind === "snmp" ? ["snmp-communities"] : ["iot-defaults", "mirai"];
  const pools: { source: CredentialSource; pairs: Pair[] }[] = [
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
