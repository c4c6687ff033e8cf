// Where a device's MUD URL comes from: the manufacturer's declaration, the id-pe-mudURL extension
// of certificates the device presents, and what it emitted on the network (DHCP, LLDP) in a
// capture. Also the MUD signer a certificate may name.
import type { RelativeDistinguishedNames } from "pkijs";
import type { CertificateFact } from "../core/facts.js";
import type { Descriptor } from "../schema/types.js";
import { deviceMacs, type Capture, type MudUrlSighting } from "./capture.js";
import { blockListOf, contains } from "./policy.js";
import { CertificateError, certificateMud } from "./url.js";

export interface FoundMudUrl {
  url: string;
  /** Where it was found, for a person: "declared.mudUrl", "certificate on port 443", "DHCPv4 option 161 at …". */
  from: string;
}

export interface DeviceMudSources {
  /** The declared URL first: it is the one whose host the run's scope allows. */
  urls: FoundMudUrl[];
  /** The id-pe-mudsigner subject of a presented certificate: who must have signed the MUD file. */
  signer?: RelativeDistinguishedNames;
  /** Certificates whose MUD extensions could not be read, with why. */
  unreadable: string[];
}

export function mudSources(device: Descriptor, certificates: CertificateFact[] = [], sightings: MudUrlSighting[] = []): DeviceMudSources {
  const out: DeviceMudSources = { urls: [], unreadable: [] };
  const declared = device.declared?.mudUrl;
  if (declared) out.urls.push({ url: declared, from: "declared.mudUrl" });
  for (const cert of certificates) {
    try {
      const mud = certificateMud(new Uint8Array(Buffer.from(cert.der, "base64")));
      if (mud.url !== undefined) out.urls.push({ url: mud.url, from: `certificate on port ${cert.port}` });
      if (mud.signer) out.signer ??= mud.signer;
    } catch (err) {
      if (!(err instanceof CertificateError)) throw err;
      out.unreadable.push(`certificate on port ${cert.port}: ${err.message}`);
    }
  }
  for (const s of sightings) out.urls.push({ url: s.url, from: `${s.via} at ${new Date(s.time * 1000).toISOString()}` });
  return out;
}

/**
 * The MUD URLs in a capture that the device sent: from one of its addresses, or from a MAC address
 * that also sent from one of them (a DHCP client has no address yet; LLDP has none at all).
 */
export function deviceSightings(capture: Capture, addresses: string[]): MudUrlSighting[] {
  const device = blockListOf(addresses);
  const macs = deviceMacs(capture, (a) => contains(device, a));
  return capture.sightings.filter((s) => (s.address !== undefined && contains(device, s.address)) || (s.mac !== undefined && macs.has(s.mac)));
}
