// Typed facts that checks publish for each other (design.md, "The run", step 3).

export interface OpenPort {
  port: number;
  /** First bytes the port sent unasked, with non-printable bytes escaped as \xNN; bounded. */
  banner?: string;
}

export interface HttpInfo {
  path: string;
  status: number;
  /** Lower-case scheme of WWW-Authenticate when the path asks for a login ("basic", "digest"). */
  authScheme?: string;
  realm?: string;
  /** The page carries a password field: an admin login form. */
  loginForm?: boolean;
  server?: string;
}

export interface Service {
  port: number;
  /** telnet, ssh, ftp, http, https, tls, smtp, rtsp, mqtt, unknown … */
  name: string;
  tls: boolean;
  product?: string;
  banner?: string;
  http?: HttpInfo[];
}

export interface FactMap {
  "tcp.open": OpenPort[];
  "tcp.services": Service[];
}

export type FactKey = keyof FactMap;

export class FactStore {
  readonly #facts = new Map<FactKey, unknown>();

  set<K extends FactKey>(key: K, value: FactMap[K]): void {
    this.#facts.set(key, value);
  }

  get<K extends FactKey>(key: K): FactMap[K] | undefined {
    return this.#facts.get(key) as FactMap[K] | undefined;
  }

  has(key: FactKey): boolean {
    return this.#facts.has(key);
  }
}
