// disclosure.security-txt: the manufacturer publishes how to report a vulnerability, as a
// security.txt (RFC 9116) that a researcher's tools can read (EN 303 645 5.2-1).
import { TransportError } from "../../core/errors.js";
import type { Check, FindingInput, Outcome, Severity } from "../../core/types.js";
import { parseSecurityTxt, type SecurityTxtProblem } from "../../disclosure/security-txt.js";
import { getUrl, urlTarget } from "../../transports/url-get.js";

/** security.txt files are a few hundred bytes; RFC 9116 sets no limit, a hostile server gets this much. */
const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 10_000;

const SEVERITY: Record<SecurityTxtProblem["kind"], Severity> = { required: "medium", field: "low", advice: "info" };

/** The security.txt URL for a declared disclosure URL: itself when it names one, else the host's well-known path. */
export function securityTxtUrl(declared: string): string {
  const u = new URL(declared);
  return /(^|\/)security\.txt$/.test(u.pathname) ? u.href : new URL("/.well-known/security.txt", u).href;
}

export const securityTxt: Check = {
  id: "disclosure.security-txt",
  title: "The manufacturer publishes a valid security.txt",
  description:
    "Fetches the security.txt (RFC 9116) at the declared vulnerability disclosure URL (or /.well-known/security.txt " +
    "on its host when the URL names a web page), over https, bounded, following redirects on the same host only. " +
    "Fails when it is missing, served without TLS, lacks a Contact or an Expires field, has expired, or has " +
    "malformed fields (URIs, RFC 3339 date, language tags). An OpenPGP cleartext-signed file is recognised and " +
    "read; its signature is not verified (that needs the signer's key).",
  effect: "observe",
  needs: [],
  plan(device) {
    const url = device.declared?.vulnerabilityDisclosureUrl;
    if (!url) return [];
    const { host, port, tls } = urlTarget(securityTxtUrl(url));
    return [{ address: host, port, protocol: tls ? "https" : "http", count: "1-4", note: "GET security.txt (same-host redirects)" }];
  },

  async run(ctx): Promise<Outcome> {
    const declared = ctx.device.declared?.vulnerabilityDisclosureUrl;
    if (!declared) {
      return { verdict: "fail", summary: "no vulnerability disclosure URL declared", findings: [{ severity: "medium", title: "the manufacturer declares no vulnerability disclosure URL (declared.vulnerabilityDisclosureUrl)" }] };
    }
    const url = securityTxtUrl(declared);
    const { host, port, tls } = urlTarget(url);
    const target = { transport: "tcp" as const, address: host, port, service: tls ? "https" : "http" };
    const findings: FindingInput[] = [];
    if (!tls) findings.push({ severity: "medium", title: "security.txt is declared at an http URL: RFC 9116 requires https", target });

    let res;
    try {
      res = await getUrl(ctx, url, { timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES + 1, redirects: 3 });
    } catch (err) {
      if (!(err instanceof TransportError) || err.kind === "aborted" || err.kind === "out-of-scope") throw err;
      return { verdict: "inconclusive", summary: `security.txt could not be fetched: ${err.message}`, findings };
    }
    const evidence: Record<string, unknown> = { url: res.url, status: res.status };
    if (res.status !== 200) {
      findings.push({ severity: "medium", title: `no security.txt: ${url} answers HTTP ${res.status}`, target, evidence });
      return { verdict: "fail", summary: `no security.txt at ${url} (HTTP ${res.status})`, findings, evidence };
    }
    if (res.truncated) {
      findings.push({ severity: "low", title: `security.txt is larger than ${MAX_BYTES} bytes; not read`, target, evidence });
      return { verdict: "fail", summary: "security.txt too large to read", findings, evidence };
    }
    const type = res.headers["content-type"] ?? "";
    if (!/^text\/plain\b/i.test(type)) findings.push({ severity: "info", title: `security.txt is served as "${type.slice(0, 80)}", not text/plain`, target });

    const parsed = parseSecurityTxt(res.body.toString("utf8"), { url: res.url, now: new Date() });
    Object.assign(evidence, { contacts: parsed.contacts, expires: parsed.expires, signed: parsed.signed, fields: parsed.fields.length });
    for (const p of parsed.problems) findings.push({ severity: SEVERITY[p.kind], title: `security.txt: ${p.text}`, target });

    const failing = findings.filter((f) => f.severity !== "info");
    if (failing.length > 0) return { verdict: "fail", summary: `security.txt has ${failing.length} problem${failing.length > 1 ? "s" : ""}: ${failing[0]!.title}`, findings, evidence };
    return {
      verdict: "pass",
      summary: `security.txt with ${parsed.contacts.length} contact${parsed.contacts.length > 1 ? "s" : ""}, expires ${parsed.expires}${parsed.signed ? ", PGP-signed (signature not verified)" : ""}`,
      findings,
      evidence,
    };
  },
};
