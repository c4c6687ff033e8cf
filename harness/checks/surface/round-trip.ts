// Round-trip times measured on connects that got an answer (SYN-ACK or RST), turned into the
// timeout after which a silent port counts as lost: smoothed mean plus four mean deviations, as
// TCP's own retransmission timer does (RFC 6298), within a floor and the pace's ceiling.

/** Below this, event-loop stalls on a busy machine would pass for packet loss. */
const FLOOR_MS = 250;

/** Round-trip times are counted in bins this wide, up to BINS of them; longer ones land in the last. */
const BIN_MS = 0.1;
const BINS = 100_000;

export class RoundTrip {
  // Counts per bin rather than every sample: a full scan measures 65535 round trips, and the
  // median and mean deviation of a histogram take one walk over it instead of a sort.
  readonly #bins = new Uint32Array(BINS);
  /** The highest bin counted in, so that walks stop there. */
  #top = 0;
  #count = 0;
  #sum = 0;

  add(ms: number): void {
    const bin = Math.min(BINS - 1, Math.max(0, Math.round(ms / BIN_MS)));
    this.#bins[bin]!++;
    this.#top = Math.max(this.#top, bin);
    this.#count++;
    this.#sum += ms;
  }

  get count(): number {
    return this.#count;
  }

  /** The timeout for the next probes, or `ceilingMs` while nothing was measured. */
  timeoutMs(ceilingMs: number): number {
    if (this.#count === 0) return ceilingMs;
    const mean = this.#sum / this.#count;
    let spread = 0;
    for (let bin = 0; bin <= this.#top; bin++) spread += this.#bins[bin]! * Math.abs(bin * BIN_MS - mean);
    const deviation = spread / this.#count;
    return Math.min(ceilingMs, Math.max(FLOOR_MS, Math.ceil(mean + 4 * deviation)));
  }

  /** Median, for the report (to the bin, 0.1 ms). */
  medianMs(): number | undefined {
    if (this.#count === 0) return undefined;
    const half = Math.floor(this.#count / 2);
    let seen = 0;
    let bin = 0;
    while ((seen += this.#bins[bin]!) <= half) bin++;
    return Math.round(bin * BIN_MS * 10) / 10;
  }
}
