// mud.url: where the device names its MUD URL, and whether that URL is usable.
import type { Check, FindingInput, Outcome } from "../../core/types.js";
import { mudUrlProblems, sameUrl } from "../../mud/url-rules.js";

export const mudUrl: Check = {
  id: "mud.url",
  title: "The device names a usable MUD URL",
  description:
    "Looks for the device's Manufacturer Usage Description URL (RFC 8520) in the descriptor's declared.mudUrl, in " +
    "the id-pe-mudURL extension of every certificate its TLS services present, and, given a capture of its " +
    "traffic, in DHCPv4 option 161, DHCPv6 option 112 and LLDP. Each URL must use https, carry no user name or " +
    "password and fit in 255 bytes, and all must agree. A device with no MUD URL fails: this check is named only by " +
    "the MUD profile (EN 303 645 does not require MUD), which asks whether the device has one.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tls.certificates"],
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    // The MUD library (ASN.1, X.509, pcap reading) loads only when a MUD check runs: it is slow to import.
    const [{ readCapture, DEFAULT_CAPTURE_LIMITS }, { deviceSightings, mudSources }, { CaptureError }] = await Promise.all([
      import("../../mud/capture.js"), import("../../mud/sources.js"), import("../../mud/tshark.js"),
    ]);
    const findings: FindingInput[] = [];
    const address = ctx.device.network?.address;
    const target = address ? { transport: "tcp" as const, address } : undefined;
    const capture = ctx.options.mudCapture;
    let captureProblem: string | undefined;
    let sightings: ReturnType<typeof deviceSightings> = [];
    if (capture && address) {
      try {
        sightings = deviceSightings(await readCapture(capture, { ...DEFAULT_CAPTURE_LIMITS, signal: ctx.signal }), [address]);
      } catch (err) {
        if (!(err instanceof CaptureError)) throw err;
        captureProblem = `the capture ${capture} could not be read: ${err.message}`;
      }
    }
    const sources = mudSources(ctx.device, ctx.facts.get("tls.certificates"), sightings);
    for (const why of sources.unreadable) {
      findings.push({ severity: "medium", title: `unreadable MUD extension: ${why}`, ...(target ? { target } : {}) });
    }
    if (sources.urls.length === 0) {
      if (captureProblem) return { verdict: "inconclusive", summary: captureProblem, findings };
      if (findings.length > 0) return { verdict: "fail", summary: "no readable MUD URL: a certificate's MUD extension is malformed", findings };
      findings.push({ severity: "low", title: "the device names no MUD URL (declared, in certificates or on the network)" });
      return { verdict: "fail", summary: "no MUD URL found", findings };
    }

    const distinct = sources.urls.filter((u, i) => sources.urls.findIndex((v) => sameUrl(u.url, v.url)) === i);
    for (const u of distinct) {
      const problems = mudUrlProblems(u.url);
      if (problems.length > 0) {
        findings.push({ severity: "medium", title: `the MUD URL from ${u.from} ${problems.join("; ")}`, evidence: { url: u.url, from: u.from } });
      }
    }
    if (distinct.length > 1) {
      findings.push({
        severity: "medium",
        title: `the device names ${distinct.length} different MUD URLs`,
        evidence: { urls: distinct.map((u) => ({ url: u.url, from: u.from })) },
      });
    }
    if (captureProblem) findings.push({ severity: "info", title: captureProblem });
    const evidence = { urls: sources.urls };
    const failed = findings.some((f) => f.severity !== "info");
    if (failed) return { verdict: "fail", summary: `MUD URL problems: ${findings.filter((f) => f.severity !== "info").length}`, findings, evidence };
    return { verdict: "pass", summary: `MUD URL ${distinct[0]!.url} (from ${sources.urls.map((u) => u.from).join(", ")})`, findings, evidence };
  },
};
