// `iotcert mud listen`: watch a lab network live for the MUD URLs devices emit when they join it:
// DHCPv4 and DHCPv6 requests and LLDP frames, captured by tshark with a filter for just those.
import { collect, type MudUrlSighting } from "./capture.js";
import { CaptureError } from "./tshark.js";

const FILTER = "udp port 67 or udp port 547 or ether proto 0x88cc";
/** Names tshark could take for an option, or that no interface has, are refused before it runs. */
const INTERFACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,63}$/;

export async function listenForMudUrls(
  iface: string,
  opts: { durationS: number; signal?: AbortSignal; onSighting: (s: MudUrlSighting) => void },
): Promise<MudUrlSighting[]> {
  if (!INTERFACE_NAME.test(iface)) throw new CaptureError("refused", `${JSON.stringify(iface.slice(0, 80))} is not an interface name`);
  const capture = await collect(
    { interface: iface, filter: FILTER, durationS: opts.durationS },
    // tshark stops itself after durationS; the time limit only catches one that hangs
    { maxPackets: 100_000, maxFlows: 10_000, maxAnswers: 0, timeoutMs: opts.durationS * 1000 + 30_000, ...(opts.signal ? { signal: opts.signal } : {}) },
    opts.onSighting,
  );
  return capture.sightings;
}
