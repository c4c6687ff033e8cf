// TypeScript shapes of the documents that harness/schema/*.schema.json validate.
// The schemas are the authority; these types must describe the same documents.

export type PortSet = "all" | string | number[];

export interface DeclaredCredential {
  username: string;
  password: string;
  /** Service the credential is for ("telnet", "http", …); absent means every service. */
  service?: string;
  /** The manufacturer states this credential differs on every unit (printed on its label). */
  unique?: boolean;
}

export interface Attestation {
  verdict: "pass" | "fail" | "not-applicable";
  note?: string;
  by?: string;
}

export interface Descriptor {
  id: string;
  vendor: string;
  model: string;
  firmware: string;
  network?: { address: string; tcpPorts?: PortSet; udpPorts?: PortSet };
  mqtt?: { url: string };
  coap?: { url: string };
  serial?: { path: string; baudRate: "auto" | number };
  ble?: { address: string };
  declared?: {
    openPorts?: string[];
    mudUrl?: string;
    update?: { manifestUrl?: string; firmwareUrl?: string };
    supportPeriodEnd?: string;
    vulnerabilityDisclosureUrl?: string;
    credentials?: DeclaredCredential[];
  };
  attestations?: Record<string, Attestation>;
  siblings?: string[];
}

export type Level = string;

export interface Provision {
  id: string;
  title: string;
  level: Level;
  checks?: string[];
  attestation?: boolean;
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
