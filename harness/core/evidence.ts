// What a run sent to the device: every probe counted by check, address, port and protocol, so a
// report says what was done and a second lab can repeat it.

export interface ProbeCount {
  check: string;
  address: string;
  port: number;
  protocol: string;
  count: number;
}

export class ProbeLedger {
  readonly #counts = new Map<string, ProbeCount>();

  record(check: string, address: string, port: number, protocol: string): void {
    const key = `${check}\u0000${address}\u0000${port}\u0000${protocol}`;
    const entry = this.#counts.get(key);
    if (entry) entry.count++;
    else this.#counts.set(key, { check, address, port, protocol, count: 1 });
  }

  all(): ProbeCount[] {
    return [...this.#counts.values()];
  }
}

/** The per-check view of the ledger that transports write to. */
export class Evidence {
  constructor(
    readonly check: string,
    readonly ledger: ProbeLedger,
  ) {}

  probe(address: string, port: number, protocol: string): void {
    this.ledger.record(this.check, address, port, protocol);
  }
}
