// The scope guard: the only addresses a run may contact are those the descriptor names.
import { isIP } from "node:net";
import { siblingsOf, type Sibling } from "../schema/siblings.js";
import type { Descriptor } from "../schema/types.js";
import { TransportError } from "./errors.js";

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  } catch {
    return undefined;
  }
}

export class Scope {
  readonly #hosts: ReadonlySet<string>;

  constructor(hosts: Iterable<string>) {
    this.#hosts = new Set([...hosts].map((h) => h.toLowerCase()));
  }

  /**
   * `siblings` are the descriptor files of other units already loaded (loadSiblings); only those
   * the descriptor names under `siblings` are admitted, with its inline sibling addresses.
   */
  static fromDescriptor(device: Descriptor, siblings: readonly Sibling[] = []): Scope {
    const d = device.declared;
    const hosts = [
      device.network?.address,
      hostOf(device.mqtt?.url),
      hostOf(device.coap?.url),
      hostOf(d?.mudUrl),
      hostOf(d?.update?.manifestUrl),
      hostOf(d?.update?.firmwareUrl),
      hostOf(d?.vulnerabilityDisclosureUrl),
      ...siblingsOf(device, siblings).map((s) => s.address),
    ];
    return new Scope(hosts.filter((h): h is string => !!h));
  }

  get hosts(): string[] {
    return [...this.#hosts];
  }

  allows(host: string): boolean {
    return this.#hosts.has(host.replace(/^\[|\]$/g, "").toLowerCase());
  }

  /** Throws before any packet leaves when `host` was not named by the descriptor. */
  assert(host: string): void {
    if (!this.allows(host)) {
      const kind = isIP(host) ? "address" : "host name";
      throw new TransportError("out-of-scope", `refused to contact ${kind} ${host}: the device descriptor does not name it`);
    }
  }
}
