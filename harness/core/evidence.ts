// What a run sent to the device: probes counted by check, address and protocol with the ports
// they went to and when the first and the last of them went out, so a report says what was done
// and when, and a second lab can repeat it. A full port scan is one line ("1-65535"), not 65535
// lines with a time each. Each line also says whether the device answered any of them, which is
// how the engine tells a device it never reached (contact.ts).
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
  /** Present when the device answered at least one of them (see Evidence.answer). */
  answered?: true;
}

interface Tally {
  check: string;
  address: string;
  protocol: string;
  ports: Set<number>;
  count: number;
  firstAt: number;
  lastAt: number;
  answered: boolean;
}

export class ProbeLedger {
  readonly #tallies = new Map<string, Tally>();

  record(check: string, address: string, port: number, protocol: string, at = Date.now()): void {
    this.recordMany(check, address, [port], protocol, at);
  }

  /** The device answered a probe of this check to this address over this protocol. */
  answered(check: string, address: string, protocol: string): void {
    const tally = this.#tallies.get(this.#key(check, address, protocol));
    if (tally) tally.answered = true;
  }

  #key(check: string, address: string, protocol: string): string {
    return `${check}\u0000${address}\u0000${protocol}`;
  }

  /** Probes to many ports of one address at once (a sweep's batch), counted as one each. */
  recordMany(check: string, address: string, ports: ArrayLike<number>, protocol: string, at = Date.now()): void {
    const key = this.#key(check, address, protocol);
    let tally = this.#tallies.get(key);
    if (!tally) this.#tallies.set(key, (tally = { check, address, protocol, ports: new Set(), count: 0, firstAt: at, lastAt: at, answered: false }));
    tally.count += ports.length;
    tally.firstAt = Math.min(tally.firstAt, at);
    tally.lastAt = Math.max(tally.lastAt, at);
    for (let i = 0; i < ports.length; i++) if (ports[i]! > 0) tally.ports.add(ports[i]!);
  }

  all(): ProbeCount[] {
    return [...this.#tallies.values()].map(({ check, address, protocol, ports, count, firstAt, lastAt, answered }) => ({
      check, address, ports: formatPortSet(ports), protocol, count,
      firstAt: new Date(firstAt).toISOString(), lastAt: new Date(lastAt).toISOString(),
      ...(answered ? { answered: true as const } : {}),
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

  /**
   * Something came back from the device itself to a probe sent over `protocol`: a TCP SYN-ACK or
   * RST, a UDP datagram or ICMP port unreachable, a BLE advertisement, bytes on a serial line. A
   * timeout or "no route to host" is no answer: it may come from nobody, or from a router.
   */
  answer(address: string, protocol: string): void {
    this.ledger.answered(this.check, address, protocol);
  }
}
