// The live line of a campaign on a terminal: devices done / total, then each running device with
// its checks done / total and the check it is on. Nothing when stderr is not a TTY.
import type { RunProgress } from "../core/run.js";

const MIN_INTERVAL_MS = 100;

export class CampaignProgress {
  readonly #running = new Map<string, RunProgress | undefined>();
  #done = 0;
  #last = 0;
  #shown = false;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly total: number) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  started(id: string): void {
    this.#running.set(id, undefined);
    this.#draw(true);
  }

  progress(id: string, p: RunProgress): void {
    this.#running.set(id, p);
    this.#draw(false);
  }

  finished(id: string): void {
    this.#running.delete(id);
    this.#done++;
    this.#draw(true);
  }

  /** Print a line above the live one (a device finished, a device skipped). */
  log(line: string, out: NodeJS.WritableStream): void {
    this.clear();
    out.write(line);
    this.#draw(true);
  }

  #draw(force: boolean): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.#last < MIN_INTERVAL_MS) return;
    this.#last = now;
    const devices = [...this.#running].map(([id, p]) => (p ? `${id} [${p.done}/${p.total}${p.running[0] ? ` ${p.running[0].id}` : ""}]` : `${id} [starting]`));
    const text = `campaign [${this.#done}/${this.total}] ${devices.join(", ") || "…"}`.replace(/[\x00-\x1f\x7f]/g, " ");
    const width = (this.stream.columns || 80) - 1;
    this.stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.#shown = true;
  }

  clear(): void {
    if (this.#shown) this.stream.write("\r\x1b[2K");
    this.#shown = false;
  }
}
