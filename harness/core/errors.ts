// Every failure to talk to a device becomes one of these kinds, so a check can turn it into an
// honest verdict (a refused connection is never a wrong password).

export type TransportErrorKind =
  | "refused"
  | "reset"
  | "timeout"
  | "unreachable"
  | "closed"
  | "protocol"
  | "too-large"
  | "aborted"
  | "out-of-scope"
  | "fragile-port";

export class TransportError extends Error {
  override readonly name = "TransportError";
  /**
   * For a timeout on a connection the device accepted and never sent a byte on: how long it kept
   * silent. Such a port tells nothing about what it guards (no login, no refusal).
   */
  readonly silentMs: number | undefined;
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    options?: { cause?: unknown; silentMs?: number },
  ) {
    super(message, options);
    this.silentMs = options?.silentMs;
  }
}

const CODE_KINDS: Record<string, TransportErrorKind> = {
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  ETIMEDOUT: "timeout",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  EADDRNOTAVAIL: "unreachable",
  ENOTFOUND: "unreachable",
  EAI_AGAIN: "unreachable",
};

/** A transport failure as a verdict's reason: its kind and message, or only the message for a port that never spoke (it says so). */
export function reasonOf(err: TransportError): string {
  return err.silentMs !== undefined ? err.message : `${err.kind}: ${err.message}`;
}

/** Map a Node.js socket error to a transport error, keeping the original as the cause. */
export function toTransportError(err: unknown, what: string): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? "";
  if ((err as Error | undefined)?.name === "AbortError") return new TransportError("aborted", `${what}: aborted`, { cause: err });
  const kind = CODE_KINDS[code] ?? "protocol";
  const detail = code || (err instanceof Error ? err.message : String(err));
  return new TransportError(kind, `${what}: ${detail}`, { cause: err });
}
