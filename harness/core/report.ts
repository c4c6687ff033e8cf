// The report document (report.json); every other output format is a view of it.
// harness/schema/report.schema.json validates the same shape.
import type { Audit } from "./audit.js";
import type { ProbeCount } from "./evidence.js";
import type { CertificateFact, OpenPort } from "./facts.js";
import type { Finding, Verdict } from "./types.js";

export interface ProvisionResult {
  id: string;
  title: string;
  level: string;
  verdict: Verdict;
  checks: string[];
  /** Why the provision has its verdict, one line. */
  reason: string;
}

export interface CheckResult {
  id: string;
  title: string;
  verdict: Verdict;
  summary: string;
  durationMs: number;
  evidence?: Record<string, unknown>;
}

export interface Report {
  schema: "iotcert/report@1";
  harness: { name: "iotcert"; version: string };
  device: { id: string; vendor: string; model: string; firmware: string; address?: string };
  profile: { id: string; title: string; levels?: string[] };
  pace: string;
  /** What a second lab needs to repeat the run: input hashes, runtime, pace in full, options. */
  audit: Audit;
  startedAt: string;
  finishedAt: string;
  complete: boolean;
  /** Why the run did not complete, when it did not. */
  incompleteReason?: string;
  label: { level: string; heldBy: string[]; reason: string };
  provisions: ProvisionResult[];
  checks: CheckResult[];
  findings: Finding[];
  surface: {
    tcp: (OpenPort & { service?: string; tls?: boolean; product?: string })[];
    udp: { port: number; service?: string; product?: string }[];
    /** The certificates TLS services presented, as crypto.tls read them (without the DER). */
    certificates?: Omit<CertificateFact, "der">[];
  };
  probes: ProbeCount[];
  redacted: boolean;
}

