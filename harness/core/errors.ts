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
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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

/** Map a Node.js socket error to a transport error, keeping the original as the cause. */
export function toTransportError(err: unknown, what: string): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? "";
  if ((err as Error | undefined)?.name === "AbortError") return new TransportError("aborted", `${what}: aborted`, { cause: err });
  const kind = CODE_KINDS[code] ?? "protocol";
  const detail = code || (err instanceof Error ? err.message : String(err));
  return new TransportError(kind, `${what}: ${detail}`, { cause: err });
}
