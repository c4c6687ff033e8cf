// update.transport: updates travel over TLS that a device can trust (EN 303 645 5.3-2 and 5.3-10):
// the declared manifest, firmware and signature URLs are https with a valid certificate for their
// host and TLS 1.2 or later, the same files are not also served over plain HTTP, the manifest points
// only to https, and the device itself serves no firmware or manifest over plain HTTP.
import { isIP } from "node:net";
import { rootCertificates, checkServerIdentity } from "node:tls";
import { loadData } from "../../core/data.js";
import { TransportError } from "../../core/errors.js";
import type { Check, CheckContext, FindingInput, Outcome, PlannedProbe } from "../../core/types.js";
import type { Descriptor } from "../../schema/types.js";
import { httpGet } from "../../transports/http.js";
import { tlsHandshake } from "../../transports/tls-probe.js";
import { getUrl, urlTarget } from "../../transports/url-get.js";

const TIMEOUT_MS = 10_000;
/** Enough of a manifest to find the URLs it names; an image is not downloaded here, only asked for. */
const MANIFEST_BYTES = 256 * 1024;
const PEEK_BYTES = 512;
const MODERN = new Set(["TLSv1.2", "TLSv1.3"]);

type UrlKind = "manifest" | "firmware" | "signature";

function declaredUrls(device: Descriptor): { kind: UrlKind; url: string }[] {
  const u = device.declared?.update;
  const all: [UrlKind, string | undefined][] = [["manifest", u?.manifestUrl], ["firmware", u?.firmwareUrl], ["signature", u?.signatureUrl]];
  return all.filter((e): e is [UrlKind, string] => !!e[1]).map(([kind, url]) => ({ kind, url }));
}

const updatePaths = () => loadData<{ paths: string[] }>("update-paths.yaml").paths;

/** A TransportError that means "not reachable / not there"; aborts and scope refusals stop the check. */
function unreachable(err: unknown): TransportError {
  if (err instanceof TransportError && err.kind !== "aborted" && err.kind !== "out-of-scope") return err;
  throw err;
}

/** The same resource over plain HTTP on port 80: a fallback an attacker on the path can force. */
function plainTwin(url: string): string {
  const u = new URL(url);
  u.protocol = "http:";
  u.port = "";
  return u.href;
}

async function judgeUrl(ctx: CheckContext, kind: UrlKind, url: string, findings: FindingInput[]): Promise<{ reached: boolean }> {
  const { tls, host, port } = urlTarget(url);
  const target = { transport: "tcp" as const, address: host, port, service: tls ? "https" : "http" };
  if (!tls) {
    findings.push({ severity: "high", title: `the update ${kind} URL uses plain HTTP`, target, evidence: { url } });
    return { reached: false };
  }
  let res;
  try {
    res = await getUrl(ctx, url, { timeoutMs: TIMEOUT_MS, maxBytes: kind === "manifest" ? MANIFEST_BYTES : PEEK_BYTES, ca: ctx.options.updateTrustAnchors ?? [...rootCertificates] });
  } catch (err) {
    ctx.log.info({ url, err: unreachable(err).message }, "update URL not reachable");
    return { reached: false };
  }
  const session = res.tls;
  if (session?.authorizationError === "ERR_TLS_CERT_ALTNAME_INVALID") {
    const reason = session.certificate ? checkServerIdentity(host, session.certificate)?.message : undefined;
    findings.push({ severity: "high", title: `the update ${kind} server's certificate does not name ${host}`, target, evidence: { url, ...(reason ? { reason } : {}) } });
  } else if (session && !session.authorized) {
    findings.push({ severity: "high", title: `the update ${kind} server's certificate is not trusted (${session.authorizationError ?? "unverified"})`, target, evidence: { url } });
  }
  if (session && !MODERN.has(session.protocol ?? "")) {
    findings.push({ severity: "high", title: `the update ${kind} server negotiated ${session.protocol}, below TLS 1.2`, target, evidence: { url } });
  } else {
    const old = await tlsHandshake(ctx, host, port, { minVersion: "TLSv1", maxVersion: "TLSv1.1", timeoutMs: TIMEOUT_MS, ...(isIP(host) ? {} : { servername: host }) });
    if (old.ok) findings.push({ severity: "medium", title: `the update ${kind} server also accepts ${old.protocol}`, target, evidence: { url } });
  }
  if (res.status !== 200) findings.push({ severity: "info", title: `the update ${kind} URL answers HTTP ${res.status}`, target, evidence: { url: res.url } });
  if (kind === "manifest" && res.status === 200) {
    const plain = [...new Set(res.body.toString("latin1").match(/http:\/\/[\x21-\x7e]{1,200}?(?=["'\s<>,]|$)/g) ?? [])].slice(0, 10);
    if (plain.length) findings.push({ severity: "high", title: `the update manifest points to ${plain.length} plain-HTTP URL${plain.length > 1 ? "s" : ""}`, target, evidence: { url, plainUrls: plain } });
  }

  const twin = plainTwin(url);
  try {
    const fallback = await getUrl(ctx, twin, { timeoutMs: TIMEOUT_MS, maxBytes: PEEK_BYTES });
    if (fallback.status === 200) findings.push({ severity: "high", title: `the update ${kind} is also served over plain HTTP`, target: { ...target, port: 80, service: "http" }, evidence: { url: twin } });
  } catch (err) {
    unreachable(err);
  }
  return { reached: true };
}

/** Firmware or manifests the device serves itself on plain-HTTP ports the surface checks found. */
async function deviceServedUpdates(ctx: CheckContext, findings: FindingInput[]): Promise<number> {
  const address = ctx.device.network?.address;
  const services = ctx.facts.get("tcp.services") ?? [];
  let asked = 0;
  if (!address) return asked;
  for (const service of services.filter((s) => s.name === "http" && !s.tls)) {
    for (const path of updatePaths()) {
      asked++;
      let res;
      try {
        res = await httpGet(ctx, { host: address, port: service.port, tls: false, path, timeoutMs: TIMEOUT_MS, maxBytes: PEEK_BYTES });
      } catch (err) {
        unreachable(err);
        continue;
      }
      const type = res.headers["content-type"] ?? "";
      const page = /html/i.test(type) || /^\s*</.test(res.body.toString("latin1", 0, 64));
      if (res.status === 200 && !page && res.body.length > 0) {
        findings.push({
          severity: "high",
          title: `the device serves ${path} (firmware or an update manifest) over plain HTTP on port ${service.port}`,
          target: { transport: "tcp", address, port: service.port, service: "http" },
          evidence: { path, contentType: type.slice(0, 100) },
        });
      }
    }
  }
  return asked;
}

export const updateTransport: Check = {
  id: "update.transport",
  title: "Updates are fetched over TLS that can be trusted",
  description:
    "For each declared update URL (manifest, firmware, signature): it must be https; the server's certificate must " +
    "chain to a trust anchor (--update-trust, or the usual web roots) and name the host; TLS 1.2 or later must be " +
    "negotiated and TLS 1.0/1.1 refused; the same path must not also answer over plain HTTP on port 80; the " +
    "manifest must name no http:// URL. It also asks every plain-HTTP service the surface checks found for the " +
    "usual firmware and manifest paths (harness/data/update-paths.yaml). Nothing is downloaded but the manifest.",
  effect: "observe",
  needs: [],
  consumes: ["tcp.services"],
  plan(device) {
    const probes: PlannedProbe[] = declaredUrls(device).map(({ kind, url }) => {
      const { host, port, tls } = urlTarget(url);
      return { address: host, port: tls ? `${port},80` : port, protocol: tls ? "https, http" : "http", count: tls ? 3 : 0, note: `${kind}: GET, a TLS 1.1 handshake, GET over plain HTTP` };
    });
    if (device.network) probes.push({ address: device.network.address, port: "plain-HTTP ports found", protocol: "http", count: `${updatePaths().length} per port`, note: "GET firmware and manifest paths" });
    return probes;
  },

  async run(ctx): Promise<Outcome> {
    const urls = declaredUrls(ctx.device);
    const findings: FindingInput[] = [];
    let reached = 0;
    for (const { kind, url } of urls) {
      ctx.progress(`${kind} ${url}`);
      if ((await judgeUrl(ctx, kind, url, findings)).reached) reached++;
    }
    const asked = await deviceServedUpdates(ctx, findings);
    const evidence = { urls: urls.map((u) => u.url), reached, devicePathsAsked: asked };
    const failing = findings.filter((f) => f.severity !== "info");
    if (failing.length) return { verdict: "fail", summary: `${failing.length} update transport problem${failing.length > 1 ? "s" : ""}: ${failing[0]!.title}`, findings, evidence };
    if (urls.length === 0) return { verdict: "inconclusive", summary: "no update URL declared (declared.update); nothing to judge", findings, evidence };
    if (reached < urls.filter((u) => u.url.startsWith("https:")).length) {
      return { verdict: "inconclusive", summary: `${reached} of ${urls.length} update URLs could be reached`, findings, evidence };
    }
    return { verdict: "pass", summary: `${urls.length} update URL${urls.length > 1 ? "s" : ""} over trusted TLS 1.2+, no plain-HTTP copy`, findings, evidence };
  },
};
