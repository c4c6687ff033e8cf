// Round-trip times measured on connects that got an answer (SYN-ACK or RST), turned into the
// timeout after which a silent port counts as lost: smoothed mean plus four mean deviations, as
// TCP's own retransmission timer does (RFC 6298), within a floor and the pace's ceiling.

/** Below this, event-loop stalls on a busy machine would pass for packet loss. */
const FLOOR_MS = 250;

export class RoundTrip {
  readonly #samples: number[] = [];

  add(ms: number): void {
    this.#samples.push(ms);
  }

  get count(): number {
    return this.#samples.length;
  }

  /** The timeout for the next probes, or `ceilingMs` while nothing was measured. */
  timeoutMs(ceilingMs: number): number {
    const n = this.#samples.length;
    if (n === 0) return ceilingMs;
    const mean = this.#samples.reduce((a, b) => a + b, 0) / n;
    const deviation = this.#samples.reduce((a, b) => a + Math.abs(b - mean), 0) / n;
    return Math.min(ceilingMs, Math.max(FLOOR_MS, Math.ceil(mean + 4 * deviation)));
  }

  /** Median, for the report. */
  medianMs(): number | undefined {
    const sorted = [...this.#samples].sort((a, b) => a - b);
    return sorted.length ? Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10 : undefined;
  }
}
