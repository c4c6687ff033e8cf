// Do no harm: between checks and during long ones, make sure the device still answers on a port
// it answered on before. When it stops, back off and retry before declaring it unresponsive.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { connectTcp, type Link } from "../transports/tcp.js";
import type { FactStore } from "./facts.js";
import type { Descriptor } from "../schema/types.js";

export interface Unresponsive {
  /** The checks that were running (or had just run) when the device stopped answering. */
  during: string[];
  port: number;
  at: string;
}

export class Heartbeat {
  #port: number | undefined;
  #dead: Unresponsive | undefined;
  #beating: Promise<boolean> | undefined;

  constructor(
    private readonly device: Descriptor,
    private readonly link: Link,
    private readonly log: Logger,
  ) {}

  get port(): number | undefined {
    return this.#port;
  }

  get dead(): Unresponsive | undefined {
    return this.#dead;
  }

  /** Pick the port to watch once the scan has published what is open (declared ports first). */
  adopt(facts: FactStore): void {
    if (this.#port !== undefined) return;
    const open = facts.get("tcp.open")?.map((p) => p.port) ?? [];
    const declared = new Set((this.device.declared?.openPorts ?? []).filter((p) => p.endsWith("/tcp")).map((p) => Number.parseInt(p, 10)));
    this.#port = open.find((p) => declared.has(p)) ?? open[0];
    if (this.#port !== undefined) this.log.debug({ port: this.#port }, "heartbeat watches this port");
  }

  /** True while the device answers (or nothing is known to watch); concurrent calls share one beat. */
  beat(during: () => string[]): Promise<boolean> {
    if (this.#dead) return Promise.resolve(false);
    this.#beating ??= this.#beat(during).finally(() => (this.#beating = undefined));
    return this.#beating;
  }

  async #beat(during: () => string[]): Promise<boolean> {
    const host = this.device.network?.address;
    const port = this.#port;
    if (!host || port === undefined) return true;
    const { connectTimeoutMs, heartbeatBackoffMs } = this.link.pace.settings;
    for (let attempt = 0; ; attempt++) {
      try {
        const conn = await connectTcp(this.link, host, port, connectTimeoutMs);
        conn.close();
        if (attempt > 0) this.log.info({ port, attempt }, "device answers again");
        return true;
      } catch (err) {
        if (this.link.signal.aborted) return true;
        const pause = heartbeatBackoffMs[attempt];
        if (pause === undefined) break;
        this.log.warn({ port, attempt, err: (err as Error).message }, "device did not answer the heartbeat; backing off");
        await sleep(pause, undefined, { signal: this.link.signal }).catch(() => undefined);
      }
    }
    this.#dead = { during: during(), port, at: new Date().toISOString() };
    this.log.error(this.#dead, "device stopped answering");
    return false;
  }
}
