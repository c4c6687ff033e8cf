// Packets gathered into one-way flows by 5-tuple (ICMP: by type and code), each knowing which side
// opened its conversation: the sender of the TCP SYN, or of the first packet for UDP and ICMP.
// MUD judges each direction with its own policy, and direction-initiated by who opened a TCP
// connection, so that is exactly what a flow keeps.

export interface Flow {
  version: 4 | 6;
  protocol: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  icmpType?: number;
  icmpCode?: number;
  /** Seconds since the epoch of the first and last packet. */
  first: number;
  last: number;
  packets: number;
  /**
   * Which end of this flow opened the conversation. Undefined for a TCP connection the capture
   * joined after its SYN: then nobody can say who opened it.
   */
  opener?: "src" | "dst";
}

export interface PacketSummary {
  time: number;
  version: 4 | 6;
  protocol: number;
  src: string;
  dst: string;
  srcPort: number | undefined;
  dstPort: number | undefined;
  icmpType: number | undefined;
  icmpCode: number | undefined;
  /** A TCP SYN without ACK: this packet's sender opens the connection. */
  opening: boolean;
}

const endpoint = (address: string, port: number | undefined) => `${address}|${port ?? ""}`;

export class FlowTable {
  readonly #flows = new Map<string, Flow>();
  /** Conversation (both directions) → the endpoint that opened it. */
  readonly #openers = new Map<string, string>();
  #truncated = false;

  constructor(private readonly maxFlows: number) {}

  get truncated(): boolean {
    return this.#truncated;
  }

  add(p: PacketSummary): void {
    const icmp = p.protocol === 1 || p.protocol === 58;
    const from = endpoint(p.src, icmp ? undefined : p.srcPort);
    const to = endpoint(p.dst, icmp ? undefined : p.dstPort);
    const key = `${p.protocol} ${from} ${to}${icmp ? ` ${p.icmpType ?? ""}/${p.icmpCode ?? ""}` : ""}`;
    const conversation = `${p.protocol} ${[from, to].sort().join(" ")}`;
    if (p.opening) this.#openers.set(conversation, from);
    // For TCP only a SYN tells; elsewhere the first packet seen is the opener
    else if (p.protocol !== 6 && !this.#openers.has(conversation)) this.#openers.set(conversation, from);

    const flow = this.#flows.get(key);
    if (flow) {
      flow.packets++;
      flow.last = Math.max(flow.last, p.time);
      flow.first = Math.min(flow.first, p.time);
      return;
    }
    if (this.#flows.size >= this.maxFlows) {
      this.#truncated = true;
      return;
    }
    this.#flows.set(key, {
      version: p.version, protocol: p.protocol, src: p.src, dst: p.dst,
      ...(icmp ? {} : { ...defined("srcPort", p.srcPort), ...defined("dstPort", p.dstPort) }),
      ...(icmp ? { ...defined("icmpType", p.icmpType), ...defined("icmpCode", p.icmpCode) } : {}),
      first: p.time, last: p.time, packets: 1,
    });
  }

  /** The flows, each with its opener, in the order they started. */
  flows(): Flow[] {
    return [...this.#flows.values()].map((flow) => {
      const icmp = flow.protocol === 1 || flow.protocol === 58;
      const from = endpoint(flow.src, icmp ? undefined : flow.srcPort);
      const to = endpoint(flow.dst, icmp ? undefined : flow.dstPort);
      const opener = this.#openers.get(`${flow.protocol} ${[from, to].sort().join(" ")}`);
      return opener === undefined ? flow : { ...flow, opener: opener === from ? "src" as const : "dst" as const };
    }).sort((a, b) => a.first - b.first);
  }
}

function defined<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
