// The live progress line on a terminal: the check running, done / total. Nothing when stderr is
// not a TTY, so CI logs stay clean.
import type { RunProgress } from "../core/run.js";

const MIN_INTERVAL_MS = 100;

export class ProgressLine {
  #last = 0;
  #shown = false;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly label = "") {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(p: RunProgress): void {
    const current = p.running.map((r) => (r.detail ? `${r.id} (${r.detail})` : r.id)).join(", ") || "…";
    this.show(`${this.label}[${p.done}/${p.total}] ${current}`, p.done >= p.total);
  }

  /** Draw `text` as the live line (control bytes blanked, cut to the terminal), at most every 100 ms unless `force`. */
  show(text: string, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.#last < MIN_INTERVAL_MS) return;
    this.#last = now;
    const safe = text.replace(/[\x00-\x1f\x7f]/g, " ");
    const width = (this.stream.columns || 80) - 1;
    this.stream.write(`\r\x1b[2K${safe.length > width ? `${safe.slice(0, width - 1)}…` : safe}`);
    this.#shown = true;
  }

  clear(): void {
    if (this.#shown) this.stream.write("\r\x1b[2K");
    this.#shown = false;
  }
}
