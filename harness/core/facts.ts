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

/** A management endpoint of a web stack that answered a client with no credentials (harness/data/http-management.yaml). */
export interface OpenManagement {
  /** The data's rule id: node-red-admin-api, admin-page, … */
  rule: string;
  product?: string;
  /** What that gives anyone who can reach the port. */
  capability: "deploy-code" | "configure" | "read-configuration";
  severity: "critical" | "high" | "medium" | "low" | "info";
  title: string;
  /** The paths that answered. */
  paths: string[];
}

export interface Service {
  port: number;
  /** telnet, ssh, ftp, http, https, tls, smtp, rtsp, mqtt, unknown … */
  name: string;
  tls: boolean;
  product?: string;
  banner?: string;
  http?: HttpInfo[];
  /**
   * The port accepted connections and never spoke: no banner, no TLS, no answer to any probe, in
   * this long. What it serves (a login or not) is unknown.
   */
  silentMs?: number;
  /** HTTP only: management endpoints open to anyone. */
  management?: OpenManagement[];
}

/** A UDP service counts only when it answered a probe. */
export interface UdpService {
  port: number;
  /** coap, dtls, snmp, ssdp, mdns, ntp, dns, tftp, ws-discovery, … */
  service: string;
  product?: string;
  /** Bytes of the probe that drew the answer, and of all answers to it: the amplification. */
  requestBytes: number;
  responseBytes: number;
  /** The first bytes of the answer, escaped like TCP banners; bounded. */
  banner?: string;
}

/** A certificate a TLS service presented, as the TLS assessment saw it. */
export interface CertificateFact {
  port: number;
  service: string;
  subject: string;
  issuer: string;
  selfSigned: boolean;
  notBefore: string;
  notAfter: string;
  /** "rsa", "ec", "ed25519", … and the key size in bits. */
  keyType: string;
  keyBits: number;
  subjectAltNames: string[];
  /** SHA-256 of the DER certificate and of its public key, hex: what the uniqueness check compares. */
  sha256: string;
  publicKeySha256: string;
  /** The DER certificate, base64 (the MUD check reads its extensions). */
  der: string;
}

/**
 * A credential a login of the device accepted during this run, with the login exactly as the
 * credential check drove it, so the same attempt can be made on another unit of the model.
 */
export interface AcceptedCredential {
  /** A LoginTarget of harness/checks/credentials/logins/login.ts. */
  login: { name: string; kind: string; port: number; tls: boolean; path?: string };
  username: string;
  password: string;
  /** Where the pair came from: declared, user, mirai, iot-defaults, … */
  source: string;
  /** Declared as different on every unit. */
  unique: boolean;
}

/**
 * A login that began refusing logins while the credential check tried it (a lockout, a rate
 * limit): protection against guessing, for credentials.bruteforce-protection, which then does not
 * send that login more wrong passwords (they would only lock the real account out longer).
 */
export interface LoginLockout {
  /** A LoginTarget of harness/checks/credentials/logins/login.ts. */
  login: { name: string; kind: string; port: number; tls: boolean; path?: string };
  /** Attempts sent, the refused one included. */
  attempts: number;
  /** How the refusal showed ("the login began refusing (HTTP 429)"). */
  how: string;
}

/** A CoAP endpoint's resources, as its /.well-known/core lists them (RFC 6690). */
export interface CoapResources {
  address: string;
  port: number;
  /** Link targets with their parameters (rt, if, ct, title, sz, obs, …), bounded. */
  resources: { target: string; params: Record<string, string | true> }[];
}

/** A version a broker on the device told a client that sent no credentials ($SYS/broker/version). */
export interface BrokerVersion {
  host: string;
  port: number;
  tls: boolean;
  topic: string;
  /** The payload, escaped like banners; bounded. */
  version: string;
}

export interface FactMap {
  "tcp.open": OpenPort[];
  "tcp.services": Service[];
  "udp.services": UdpService[];
  "tls.certificates": CertificateFact[];
  "credentials.accepted": AcceptedCredential[];
  "credentials.lockouts": LoginLockout[];
  "coap.resources": CoapResources;
  "mqtt.broker-versions": BrokerVersion[];
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
