// TypeScript shapes of the documents that harness/schema/*.schema.json validate.
// The schemas are the authority; these types must describe the same documents.

export type PortSet = "all" | string | number[];

export interface DeclaredCredential {
  username: string;
  password: string;
  /** Service the credential is for ("telnet", "http", …); absent means every service. "http" covers every web login (Basic, Digest, forms), "https" those over TLS. */
  service?: string;
  /** The manufacturer states this credential differs on every unit (printed on its label). */
  unique?: boolean;
}

export interface FormLogin {
  url: string;
  usernameField: string;
  passwordField: string;
  fields?: Record<string, string>;
  success: { status?: number; locationIncludes?: string; bodyIncludes?: string; setsCookie?: string };
}

/** Another unit of the same model, inline (a descriptor file is named by its path instead). */
export interface SiblingAddress {
  id?: string;
  address: string;
}

export interface Attestation {
  verdict: "pass" | "fail" | "not-applicable";
  note?: string;
  by?: string;
}

/** How the unit tells the version it runs; exactly one of the three. */
export type VersionReadback =
  | { http: { url: string; pattern?: string } }
  | { mqtt: { topic: string; pattern?: string } }
  | { serial: { command: string; pattern?: string } };

export interface DeclaredUpdate {
  manifestUrl?: string;
  firmwareUrl?: string;
  /** Detached signature over the image at firmwareUrl. */
  signatureUrl?: string;
  /** PEM SPKI, Ed25519 or ECDSA. */
  publicKey?: string;
  /** PEM CA certificates for CMS signatures. */
  trustAnchor?: string;
  /** A copy of the image on the lab machine. */
  firmwareImage?: string;
  versionReadback?: VersionReadback;
}

/** A correctly signed release: files on the lab machine. */
export interface Release {
  version: string;
  image: string;
  signature?: string;
  manifest?: string;
}

/** Lab set-up for update.rogue-server. */
export interface UpdateLab {
  listen: { address: string; port: number };
  tls?: { cert: string; key: string };
  current: Release;
  older: Release;
  waitSeconds?: number;
}

/** An SNMPv3 user the unit's owner was given. */
export interface DeclaredV3User {
  username: string;
  authProtocol: "MD5" | "SHA" | "SHA-224" | "SHA-256" | "SHA-384" | "SHA-512";
  authKey: string;
  privProtocol?: "DES" | "AES" | "AES-256" | "AES-256-Reeder";
  privKey?: string;
}

export interface Descriptor {
  id: string;
  vendor: string;
  model: string;
  firmware: string;
  network?: { address: string; tcpPorts?: PortSet; udpPorts?: PortSet };
  mqtt?: { url: string };
  snmp?: { v3Users?: DeclaredV3User[] };
  coap?: { url: string };
  serial?: { path: string; baudRate: "auto" | number };
  ble?: { address: string };
  declared?: {
    openPorts?: string[];
    mudUrl?: string;
    update?: DeclaredUpdate;
    supportPeriodEnd?: string;
    vulnerabilityDisclosureUrl?: string;
    credentials?: DeclaredCredential[];
  };
  updateLab?: UpdateLab;
  attestations?: Record<string, Attestation>;
  loginForms?: FormLogin[];
  siblings?: (string | SiblingAddress)[];
  /** The lab network it is attached to: distributed campaigns queue it for that lab's workers. */
  lab?: string;
}

export type Level = string;

export interface Provision {
  id: string;
  title: string;
  level: Level;
  checks?: string[];
  attestation?: boolean;
}

/** Thresholds the scheme sets. */
export interface ProfileParameters {
  /** coap.amplification: above this factor an answer is a finding; absent: harness/data\'s default. */
  amplificationFactor?: number;
  minimumSupportMonths?: number;
  requireSignedUpdates?: boolean;
}

/** A profile as graded: with `extends` resolved, every inherited provision is in `provisions`. */
export interface Profile {
  id: string;
  title: string;
  version?: string;
  description?: string;
  /** The id of the profile this one was built on, for the record. */
  extends?: string;
  levels: Level[];
  parameters?: ProfileParameters;
  provisions: Provision[];
}

export type ProvisionOverride = Partial<Pick<Provision, "title" | "level" | "checks" | "attestation">>;

/** A profile file as written: one that extends another may leave out levels and provisions. */
export interface ProfileFile extends Omit<Profile, "levels" | "provisions"> {
  levels?: Level[];
  provisions?: Provision[];
  levelMap?: Record<Level, Level>;
  overrides?: Record<string, ProvisionOverride>;
}
