// Traffic a device needs merely to be on a network: getting an address (DHCP, DHCPv6), resolving
// names (DNS, which the names in a MUD file presuppose) and IPv6 neighbour discovery and multicast
// listener reports. MUD managers commonly let it through whatever the file says, and RFC 8520 gives
// no way to name most of it, so conformance does not judge it and generated files leave it out.
// It is counted and reported, never silently dropped.
import type { Flow } from "./flows.js";
import type { Direction } from "./model.js";

const DHCP_PORTS = new Set([67, 68, 546, 547]);
/** ICMPv6 MLD (130-132, 143) and neighbour discovery (133-137). */
const ICMPV6_LINK = new Set([130, 131, 132, 133, 134, 135, 136, 137, 143]);

export function isInfrastructure(flow: Flow, direction: Direction): boolean {
  if (flow.protocol === 58) return flow.icmpType !== undefined && ICMPV6_LINK.has(flow.icmpType);
  if (flow.protocol === 17 && DHCP_PORTS.has(flow.srcPort ?? -1) && DHCP_PORTS.has(flow.dstPort ?? -1)) return true;
  if (flow.protocol !== 17 && flow.protocol !== 6) return false;
  // DNS: the device asks a server on port 53, and the server answers from it
  return (direction === "from-device" ? flow.dstPort : flow.srcPort) === 53;
}
