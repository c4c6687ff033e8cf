// mud.conformance: the device's observed traffic keeps to its own MUD file.
import type { Check, FindingInput, Outcome } from "../../core/types.js";
import type { Violation } from "../../mud/conform.js";
import { httpsTarget } from "../../mud/fetch.js";
import { mudUrlProblems } from "../../mud/url-rules.js";

/** Findings listed one by one; past this, one more finding counts the rest. */
const MAX_LISTED = 50;

const PROTOCOLS: Record<number, "tcp" | "udp"> = { 6: "tcp", 17: "udp" };

export const mudConformance: Check = {
  id: "mud.conformance",
  title: "The device's traffic keeps to its MUD file",
  description:
    "Given a capture of the device's traffic (--mud-capture, pcap or pcapng, read with tshark), judges every flow " +
    "to or from the device by its MUD file's policy for that direction: access lists in order, DNS names resolved " +
    "through the capture's own DNS answers to the device, local-networks, same-manufacturer and controller classes, " +
    "direction-initiated by who sent the TCP SYN. Each flow the policy does not permit is a finding with the time " +
    "of its first packet and its endpoints. DHCP, DNS and IPv6 neighbour discovery are counted but not judged.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tls.certificates"],
  timeoutMs: 15 * 60_000,
  plan(device) {
    const url = device.declared?.mudUrl;
    if (!url || mudUrlProblems(url).length > 0) return [];
    const { host, port } = httpsTarget(url);
    return [{ address: host, port, protocol: "https", count: 1, note: "GET the MUD file to judge the capture by" }];
  },

  async run(ctx): Promise<Outcome> {
    // The MUD library (ASN.1, X.509, CMS) loads only when a MUD check runs: it is slow to import.
    const [{ DEFAULT_CAPTURE_LIMITS, readCapture }, { conformance }, { retrieveMud }, { mudSources }, { CaptureError }] = await Promise.all([
      import("../../mud/capture.js"), import("../../mud/conform.js"), import("../../mud/retrieve.js"),
      import("../../mud/sources.js"), import("../../mud/tshark.js"),
    ]);
    const found = mudSources(ctx.device, ctx.facts.get("tls.certificates")).urls[0];
    if (!found) return { verdict: "not-applicable", summary: "the device names no MUD URL" };
    const capture = ctx.options.mudCapture;
    const address = ctx.device.network?.address;
    if (!capture || !address) return { verdict: "inconclusive", summary: "no capture of the device's traffic was given (--mud-capture)" };
    if (mudUrlProblems(found.url).length > 0) return { verdict: "inconclusive", summary: "the MUD URL is unusable (see mud.url)" };

    const got = await retrieveMud(ctx, found.url);
    if (!got.ok) return { verdict: "inconclusive", summary: `the MUD file could not be fetched: ${got.reason}` };
    const mud = got.validation.mud;
    if (!mud) return { verdict: "inconclusive", summary: "the MUD file is invalid (see mud.file); traffic not judged" };

    ctx.progress("reading the capture");
    let result;
    try {
      result = conformance(mud, await readCapture(capture, { ...DEFAULT_CAPTURE_LIMITS, signal: ctx.signal }), { device: [address] });
    } catch (err) {
      if (!(err instanceof CaptureError)) throw err;
      return { verdict: "inconclusive", summary: `the capture could not be read: ${err.message}` };
    }
    const findings: FindingInput[] = result.violations.slice(0, MAX_LISTED).map(finding);
    if (result.violations.length > MAX_LISTED) {
      findings.push({ severity: "medium", title: `${result.violations.length - MAX_LISTED} more flows the MUD policy does not permit` });
    }
    for (const caveat of result.caveats) findings.push({ severity: "info", title: `MUD conformance: ${caveat}` });
    const evidence = { capture, judged: result.judged, permitted: result.permitted, infrastructure: result.infrastructure, violations: result.violations.length };
    if (result.violations.length > 0) {
      return { verdict: "fail", summary: `${result.violations.length} kinds of flow the MUD file does not permit (of ${result.judged} flows judged)`, findings, evidence };
    }
    if (result.judged === 0) return { verdict: "inconclusive", summary: `the capture holds no flow of ${address} to judge`, findings, evidence };
    if (result.truncated) {
      return { verdict: "inconclusive", summary: "no violation in the part of the capture within the limits", findings, evidence };
    }
    return { verdict: "pass", summary: `all ${result.judged} flows keep to the MUD file`, findings, evidence };
  },
};

function finding(v: Violation): FindingInput {
  const f = v.flow;
  const remote = v.direction === "from-device" ? f.dst : f.src;
  const remotePort = v.direction === "from-device" ? f.dstPort : f.srcPort;
  const protocol = PROTOCOLS[f.protocol];
  const end = (a: string, p?: number) => (p === undefined ? a : a.includes(":") ? `[${a}]:${p}` : `${a}:${p}`);
  const name = v.names.length ? ` (${v.names[0]})` : "";
  return {
    severity: "medium",
    title: `${v.direction} flow ${end(f.src, f.srcPort)} → ${end(f.dst, f.dstPort)}${name} ${protocol ?? `protocol ${f.protocol}`} not permitted by the MUD file`,
    ...(protocol ? { target: { transport: protocol, address: remote, ...(remotePort === undefined ? {} : { port: remotePort }) } } : {}),
    evidence: {
      time: new Date(f.first * 1000).toISOString(), direction: v.direction, protocol: f.protocol,
      src: f.src, srcPort: f.srcPort, dst: f.dst, dstPort: f.dstPort, names: v.names,
      flows: v.flows, packets: v.packets, reason: v.reason,
    },
  };
}
