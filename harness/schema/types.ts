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
  loginForms?: FormLogin[];
  siblings?: (string | SiblingAddress)[];
}

export type Level = string;

export interface Provision {
  id: string;
  title: string;
  level: Level;
  checks?: string[];
  attestation?: boolean;
}

export interface Profile {
  id: string;
  title: string;
  version?: string;
  description?: string;
  levels: Level[];
  provisions: Provision[];
  /** Limits the scheme sets for measured quantities; absent ones take harness/data's defaults. */
  thresholds?: { amplificationFactor?: number };
}
