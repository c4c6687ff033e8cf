// One login service as the credential check drives it: whether attempts can be judged there, and
// one attempt with one candidate. Each service has its own file beside this one.
import type { Candidate, LoginService } from "../credential-list.js";
import type { WebForm } from "./form.js";

export interface LoginTarget extends LoginService {
  port: number;
  tls: boolean;
  /** The page that asked for a login (HTTP), or the stream asked for (RTSP). */
  path?: string;
  /** How the HTTP or RTSP server asked for credentials. */
  scheme?: "basic" | "digest";
  /** A web form login (kind "form"): the descriptor's, or a known stack's. */
  form?: WebForm;
}

export type Answer =
  /**
   * `readOnly`: the login was not shown to give more than read access (an SNMP community whose SET
   * was refused or not tried); `access`: what it was shown to give, in words ("read, write").
   */
  | { verdict: "success"; transcript?: string; readOnly?: boolean; access?: string }
  | { verdict: "rejected"; transcript?: string }
  /**
   * The service cannot be tested this way; further attempts would tell nothing. `lockout`: it
   * began refusing logins (a lockout, a rate limit): protection, and more attempts could lock the
   * real account out.
   */
  | { verdict: "untestable"; reason: string; lockout?: boolean };

/** The service takes no password at all (SSH with public keys only): no default password to find. */
export interface NoPasswordLogin {
  noPasswordLogin: string;
}

export interface Login {
  /** Undefined when attempts can be judged, else why not. */
  untestable(): Promise<string | NoPasswordLogin | undefined>;
  /** Services with an anonymous login (MQTT, FTP, an RTSP stream without credentials): asked before any pair; success ends the service. */
  anonymous?(): Promise<Answer>;
  /**
   * The check whose finding an accepted anonymous login is, when another check owns that weakness
   * (MQTT: mqtt.anonymous-access): the credential check still fails, and reports no finding of its own.
   */
  anonymousReportedBy?: string;
  /**
   * Every credential that works is reported, not only the first: where each is a key of its own
   * with its own rights (SNMP communities, one reading, another writing).
   */
  everyCredential?: boolean;
  /** At most this many attempts at once, where the service itself limits them (below the pace's). */
  lanes?: number;
  /** The candidates this login can take, and those held back (below a lockout the service documents), with why. */
  limit?(candidates: Candidate[]): { kept: Candidate[]; held?: { count: number; why: string } };
  /** A transport failure throws a TransportError: it is never a wrong password. */
  attempt(candidate: Candidate): Promise<Answer>;
}

/** Devices pause after a wrong password before they answer (busybox login waits 3 s). */
export const REPLY_TIMEOUT_MS = 5000;
