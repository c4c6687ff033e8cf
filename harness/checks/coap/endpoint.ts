// Where the CoAP checks reach the device, and what they share: the descriptor's coap:// URL first,
// else a CoAP service the UDP scan found on the device, else nothing to test. CoAP over TCP
// (coap+tcp://) and DTLS (coaps://) URLs name no plain UDP endpoint; coap.dtls judges those.
import { loadData } from "../../core/data.js";
import type { CheckContext } from "../../core/types.js";
import type { Descriptor } from "../../schema/types.js";
import { escapeBytes } from "../../transports/tcp.js";

export const COAP_PORT = 5683;
export const COAPS_PORT = 5684;

export interface CoapEndpoint {
  host: string;
  port: number;
}

function fromUrl(device: Descriptor): { host: string; port?: number; scheme: string } | undefined {
  if (!device.coap?.url) return undefined;
  try {
    const url = new URL(device.coap.url);
    const port = url.port ? Number(url.port) : undefined;
    return { host: url.hostname.replace(/^\[|\]$/g, ""), scheme: url.protocol.replace(/:$/, ""), ...(port ? { port } : {}) };
  } catch {
    return undefined;
  }
}

/** The plain CoAP (UDP) endpoint to test, or undefined with the reason. */
export function coapEndpoint(ctx: Pick<CheckContext, "device" | "facts">): CoapEndpoint | { none: string } {
  const url = fromUrl(ctx.device);
  if (url?.scheme === "coap") return { host: url.host, port: url.port ?? COAP_PORT };
  const address = ctx.device.network?.address;
  const found = ctx.facts.get("udp.services")?.find((s) => s.service === "coap");
  if (address && found) return { host: address, port: found.port };
  if (url) return { none: `the descriptor's CoAP URL is ${url.scheme}://, and no plain CoAP over UDP answered the scan` };
  return { none: "no CoAP endpoint: the descriptor names none and none answered the UDP scan" };
}

/** For --dry-run: the endpoint the checks would most likely use. */
export function plannedEndpoint(device: Descriptor): { host: string; port: number } {
  const url = fromUrl(device);
  if (url?.scheme === "coap") return { host: url.host, port: url.port ?? COAP_PORT };
  return { host: device.network?.address ?? url?.host ?? "", port: COAP_PORT };
}

/** The DTLS endpoint: the coaps:// URL's, else 5684 beside the plain endpoint's host. */
export function dtlsEndpoint(device: Descriptor): { host: string; port: number } | undefined {
  const url = fromUrl(device);
  if (url?.scheme === "coaps") return { host: url.host, port: url.port ?? COAPS_PORT };
  const host = url?.scheme === "coap" ? url.host : device.network?.address;
  return host ? { host, port: COAPS_PORT } : undefined;
}

interface SensitiveData {
  resources: { id: string; title: string; regex: string }[];
}

/** What a link's path and rt/if/title say it is, when harness/data/coap-sensitive-resources.yaml knows it. */
export function sensitiveResource(resource: { target: string; params: Record<string, string | true> }): { id: string; title: string } | undefined {
  const texts = [resource.target, ...["rt", "if", "title"].map((k) => resource.params[k]).filter((v): v is string => typeof v === "string")];
  for (const r of loadData<SensitiveData>("coap-sensitive-resources.yaml").resources) {
    const re = new RegExp(r.regex, "i");
    if (texts.some((t) => re.test(t))) return { id: r.id, title: r.title };
  }
  return undefined;
}

/**
 * The link targets that are paths on this endpoint: "/a/b" or "a/b". Absolute URIs naming another
 * host are out of scope and skipped; this endpoint's own host is kept.
 */
export function localPath(target: string, host: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    try {
      const url = new URL(target);
      return url.hostname.replace(/^\[|\]$/g, "").toLowerCase() === host.toLowerCase() ? url.pathname : undefined;
    } catch {
      return undefined;
    }
  }
  if (target.startsWith("//")) return undefined;
  return `/${target.replace(/^\/+/, "").split(/[?#]/)[0]}`;
}

/** A link target as reports and the terminal show it: device text, escaped and bounded. */
export const shown = (target: string) => escapeBytes(Buffer.from(target, "utf8"), 128);
