// mud.file: the device's MUD file can be fetched, is valid, and is signed by a signer the lab trusts.
import type { Check, FindingInput, Outcome, Severity } from "../../core/types.js";
import { httpsTarget } from "../../mud/fetch.js";
import type { SignatureCheck } from "../../mud/retrieve.js";
import { mudUrlProblems } from "../../mud/url-rules.js";

/** How bad each signature outcome is; undefined: no finding. */
const SIGNATURE_SEVERITY: Record<SignatureCheck["status"], Severity | undefined> = {
  verified: undefined,
  intact: undefined,
  unavailable: undefined,
  unsigned: "low",
  untrusted: "medium",
  malformed: "medium",
  tampered: "high",
  "wrong-signer": "high",
  "wrong-key-usage": "medium",
};

export const mudFile: Check = {
  id: "mud.file",
  title: "The MUD file is valid and signed by a trusted signer",
  description:
    "Fetches the device's MUD file over https from its URL's own host (bounded in size and time, no redirects), " +
    "validates it against a JSON Schema of RFC 8520 with RFC 8519 access lists and DNS-name matches, and against the " +
    "rules a schema cannot say (mud-url is the URL fetched, sane dates, every referenced ACL exists, protocol and " +
    "ports agree, direction-initiated only on TCP, well-formed DNS names); then fetches its mud-signature (a " +
    "detached CMS signature) and verifies it against the lab's trust anchors (--mud-trust). An unsigned, tampered " +
    "or untrusted file, or one saying the device is no longer supported, is a finding.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tls.certificates"],
  plan(device) {
    const url = device.declared?.mudUrl;
    if (!url || mudUrlProblems(url).length > 0) return [];
    const { host, port } = httpsTarget(url);
    return [{ address: host, port, protocol: "https", count: "1-2", note: "GET the MUD file, then its signature" }];
  },

  async run(ctx): Promise<Outcome> {
    // The MUD library (ASN.1, X.509, CMS) loads only when a MUD check runs: it is slow to import.
    const [{ checkSignature, retrieveMud }, { trustAnchorsIn }, { mudSources }, { CertificateError }] = await Promise.all([
      import("../../mud/retrieve.js"), import("../../mud/signature.js"), import("../../mud/sources.js"), import("../../mud/url.js"),
    ]);
    const sources = mudSources(ctx.device, ctx.facts.get("tls.certificates"));
    const found = sources.urls[0];
    if (!found) return { verdict: "not-applicable", summary: "the device names no MUD URL" };
    const urlProblems = mudUrlProblems(found.url);
    if (urlProblems.length > 0) {
      return { verdict: "fail", summary: `the MUD URL ${urlProblems.join("; ")}`, findings: [{ severity: "medium", title: `unusable MUD URL (from ${found.from})`, evidence: { url: found.url, problems: urlProblems } }] };
    }
    const { host, port } = httpsTarget(found.url);
    const target = { transport: "tcp" as const, address: host, port, service: "https" };

    const got = await retrieveMud(ctx, found.url);
    if (!got.ok) {
      if (!got.deviceFault) return { verdict: "inconclusive", summary: `the MUD file could not be fetched: ${got.reason}` };
      return { verdict: "fail", summary: "the MUD file is not available", findings: [{ severity: "medium", title: `MUD file not available: ${got.reason}`, target }] };
    }
    const { validation, bytes } = got;
    const findings: FindingInput[] = validation.problems.map((p) => ({ severity: "medium", title: `invalid MUD file: ${p}`, target, evidence: { url: found.url } }));
    for (const note of validation.notes) {
      const unsupported = note.includes("is-supported");
      findings.push({ severity: unsupported ? "medium" : "info", title: unsupported ? "the MUD file says the device is no longer supported" : `MUD file: ${note}`, target });
    }
    const evidence: Record<string, unknown> = { url: found.url, from: found.from, bytes: bytes.length };
    if (!validation.mud) return { verdict: "fail", summary: `the MUD file is invalid (${validation.problems.length} problems)`, findings, evidence };

    let trustAnchors;
    try {
      trustAnchors = (ctx.options.mudTrustAnchors ?? []).flatMap((pem) => trustAnchorsIn(Buffer.from(pem)));
    } catch (err) {
      if (!(err instanceof CertificateError)) throw err;
      return { verdict: "error", summary: `the MUD trust anchors are unusable: ${err.message}`, findings, evidence };
    }
    const signature = await checkSignature(ctx, validation.mud, bytes, {
      fileUrl: found.url, trustAnchors, ...(sources.signer ? { expectedSigner: sources.signer } : {}),
    });
    evidence.signature = signature;
    const severity = SIGNATURE_SEVERITY[signature.status];
    if (severity) findings.push({ severity, title: `MUD signature ${signature.status}: ${signature.detail}`, target });

    const failed = findings.some((f) => f.severity !== "info");
    const summary = `${validation.problems.length === 0 ? "valid" : "invalid"} MUD file, signature ${signature.status}`;
    if (failed) return { verdict: "fail", summary, findings, evidence };
    if (signature.status === "intact") return { verdict: "inconclusive", summary: `${summary}: no trust anchor given (--mud-trust) to judge the signer`, findings, evidence };
    if (signature.status === "unavailable") {
      return signature.deviceFault
        ? { verdict: "fail", summary, findings: [...findings, { severity: "medium", title: signature.detail, target }], evidence }
        : { verdict: "inconclusive", summary: `${summary}: ${signature.detail}`, findings, evidence };
    }
    return { verdict: "pass", summary: `${summary}${signature.status === "verified" && signature.signer ? ` (${signature.signer.subject})` : ""}`, findings, evidence };
  },
};
