// The live line of a campaign on a terminal: devices done / total, then each running device with
// its checks done / total and the check it is on. Nothing when stderr is not a TTY.
import type { RunProgress } from "../core/run.js";
import { ProgressLine } from "./progress-line.js";

export class CampaignProgress {
  readonly #running = new Map<string, RunProgress | undefined>();
  readonly #line: ProgressLine;
  #done = 0;

  constructor(stream: NodeJS.WriteStream, private readonly total: number) {
    this.#line = new ProgressLine(stream);
  }

  get enabled(): boolean {
    return this.#line.enabled;
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
    const devices = [...this.#running].map(([id, p]) => (p ? `${id} [${p.done}/${p.total}${p.running[0] ? ` ${p.running[0].id}` : ""}]` : `${id} [starting]`));
    this.#line.show(`campaign [${this.#done}/${this.total}] ${devices.join(", ") || "…"}`, force);
  }

  clear(): void {
    this.#line.clear();
  }
}
