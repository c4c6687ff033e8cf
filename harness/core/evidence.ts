// What a run sent to the device: probes counted by check, address and protocol with the ports
// they went to and when the first and the last of them went out, so a report says what was done
// and when, and a second lab can repeat it. A full port scan is one line ("1-65535"), not 65535
// lines with a time each.
import { formatPortSet } from "./ports.js";

export interface ProbeCount {
  check: string;
  address: string;
  /** The ports probed, as ranges ("22,80,8000-8100"); "" for channels without ports (BLE, serial). */
  ports: string;
  protocol: string;
  count: number;
  /** When the first and the last of these probes were sent (ISO 8601). */
  firstAt: string;
  lastAt: string;
}

interface Tally {
  check: string;
  address: string;
  protocol: string;
  ports: Set<number>;
  count: number;
  firstAt: number;
  lastAt: number;
}

export class ProbeLedger {
  readonly #tallies = new Map<string, Tally>();

  record(check: string, address: string, port: number, protocol: string, at = Date.now()): void {
    this.recordMany(check, address, [port], protocol, at);
  }

  /** Probes to many ports of one address at once (a sweep's batch), counted as one each. */
  recordMany(check: string, address: string, ports: ArrayLike<number>, protocol: string, at = Date.now()): void {
    const key = `${check}\u0000${address}\u0000${protocol}`;
    let tally = this.#tallies.get(key);
    if (!tally) this.#tallies.set(key, (tally = { check, address, protocol, ports: new Set(), count: 0, firstAt: at, lastAt: at }));
    tally.count += ports.length;
    tally.firstAt = Math.min(tally.firstAt, at);
    tally.lastAt = Math.max(tally.lastAt, at);
    for (let i = 0; i < ports.length; i++) if (ports[i]! > 0) tally.ports.add(ports[i]!);
  }

  all(): ProbeCount[] {
    return [...this.#tallies.values()].map(({ check, address, protocol, ports, count, firstAt, lastAt }) => ({
      check, address, ports: formatPortSet(ports), protocol, count,
      firstAt: new Date(firstAt).toISOString(), lastAt: new Date(lastAt).toISOString(),
    }));
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

  probes(address: string, ports: ArrayLike<number>, protocol: string): void {
    this.ledger.recordMany(this.check, address, ports, protocol);
  }
}
