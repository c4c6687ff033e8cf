// UDP: one datagram out, every answer from the target collected until the time runs out. UDP has
// no connection, so "open" means only "something answered"; the caller decides what silence means.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { TransportError, toTransportError } from "../core/errors.js";
import { fragileReason } from "../core/fragile.js";
import type { Link } from "./tcp.js";

export interface UdpLimits {
  /** How long to collect answers after the datagram left. */
  timeoutMs: number;
  /** Stop collecting at this many bytes (the last datagram is cut to fit) … */
  maxBytes: number;
  /** … or at this many datagrams. */
  maxDatagrams: number;
  /**
   * Take answers from any port of the target, not only the probed one: TFTP answers from a new
   * port (its "transfer identifier", RFC 1350 §4) and some UPnP stacks answer M-SEARCH from an
   * ephemeral port. The socket is then unconnected, so an ICMP port unreachable goes unseen and
   * a closed port is silence.
   */
  anyPort?: boolean;
  /**
   * Stop as soon as this says the answer is complete (a CoAP response with our token), instead of
   * waiting out the time for more: for exchanges whose byte count is not the point.
   */
  complete?: (datagrams: Buffer[]) => boolean;
}

export interface UdpAnswer {
  /** Each datagram the target sent, in arrival order. */
  datagrams: Buffer[];
  /** Their total size. */
  bytes: number;
  /** A limit stopped the collection: the target may have sent more. */
  truncated: boolean;
}

async function resolve(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const literal = isIP(host);
  if (literal) return { address: host, family: literal === 6 ? 6 : 4 };
  try {
    const { address, family } = await lookup(host);
    return { address, family: family === 6 ? 6 : 4 };
  } catch (err) {
    throw toTransportError(err, host);
  }
}

/**
 * Send `payload` to host:port once and collect every datagram the target sends back within the
 * limits. Throws TransportError: out-of-scope and fragile-port before anything is sent; refused
 * when an ICMP port unreachable came back and nothing else did; aborted when the run stops.
 * Silence is not an error: it is an empty answer.
 */
export async function udpExchange(link: Link, host: string, port: number, payload: Buffer, limits: UdpLimits): Promise<UdpAnswer> {
  link.scope.assert(host);
  const why = fragileReason(port);
  if (why && !link.options.allowFragile) {
    throw new TransportError("fragile-port", `port ${port}/udp is fragile (${why}); run with --allow-fragile to send it data`);
  }
  const target = await resolve(host);
  let release: () => void;
  try {
    release = await link.pace.acquire(link.signal);
  } catch (err) {
    throw new TransportError("aborted", `${host}:${port}/udp: aborted`, { cause: err });
  }
  link.evidence.probe(host, port, "udp");
  const socket = createSocket(target.family === 6 ? "udp6" : "udp4");
  try {
    const answer = await exchange(socket, link.signal, target, port, payload, limits, `${host}:${port}/udp`);
    if (answer.datagrams.length) link.evidence.answer(host, "udp");
    return answer;
  } catch (err) {
    // ICMP port unreachable comes from the host itself: it is there.
    if (err instanceof TransportError && err.kind === "refused") link.evidence.answer(host, "udp");
    throw err;
  } finally {
    socket.close();
    release();
  }
}

function exchange(
  socket: Socket,
  signal: AbortSignal,
  target: { address: string; family: 4 | 6 },
  port: number,
  payload: Buffer,
  limits: UdpLimits,
  what: string,
): Promise<UdpAnswer> {
  // A connected socket lets the kernel drop datagrams from any other address or port and report
  // ICMP port unreachable as ECONNREFUSED. Unconnected (anyPort), the address is checked here.
  const sameHost = new BlockList();
  sameHost.addAddress(target.address, target.family === 6 ? "ipv6" : "ipv4");
  const fromTarget = (r: RemoteInfo) => !limits.anyPort || sameHost.check(r.address, r.family === "IPv6" ? "ipv6" : "ipv4");

  return new Promise((resolve, reject) => {
    const datagrams: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err?: TransportError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.removeAllListeners("message");
      // An error after an answer (the port closing just after it spoke) does not undo the answer.
      if (err && (datagrams.length === 0 || err.kind === "aborted")) reject(err);
      else resolve({ datagrams, bytes, truncated });
    };
    const onAbort = () => finish(new TransportError("aborted", `${what}: aborted`));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });

    socket.on("error", (err) => finish(toTransportError(err, what)));
    socket.on("message", (msg, rinfo) => {
      if (!fromTarget(rinfo)) return;
      const room = limits.maxBytes - bytes;
      const kept = msg.length > room ? msg.subarray(0, room) : msg;
      datagrams.push(kept);
      bytes += kept.length;
      if (bytes >= limits.maxBytes || datagrams.length >= limits.maxDatagrams) {
        truncated = true;
        finish();
      } else if (limits.complete?.(datagrams)) {
        finish();
      }
    });
    const sent = (err: Error | null) => {
      if (err) return finish(toTransportError(err, what));
      if (!done) timer = setTimeout(() => finish(), limits.timeoutMs);
    };
    if (limits.anyPort) socket.send(payload, port, target.address, sent);
    // connect() reports its own failure (no route) to its callback, not as an "error" event.
    else socket.connect(port, target.address, (err?: Error) => (err ? sent(err) : socket.send(payload, sent)));
  });
}
