// surface.services: what runs on each open TCP port, from its banner, a TLS handshake and an
// HTTP request, so later checks know where the logins are.
import { loadData } from "../../core/data.js";
import { TransportError } from "../../core/errors.js";
import type { HttpInfo, OpenManagement, OpenPort, Service } from "../../core/facts.js";
import { fragileReason } from "../../core/fragile.js";
import type { Check, CheckContext, Outcome } from "../../core/types.js";
import { httpGet, type HttpResponse } from "../../transports/http.js";
import { connectTcp, type TcpConnection } from "../../transports/tcp.js";
import { openManagement, recogniseProduct, stackRequests, type StackAnswer } from "./http-stacks.js";
import { probesFor, type ServiceProbe } from "./service-probes.js";

interface Fingerprint {
  service: string;
  pattern: string;
}

const fingerprints = () =>
  loadData<{ fingerprints: Fingerprint[] }>("service-fingerprints.yaml").fingerprints.map((f) => ({
    service: f.service,
    re: new RegExp(f.pattern, "s"),
  }));

const adminPaths = () => loadData<{ paths: string[] }>("http-admin-paths.yaml").paths;

const PAGE_BYTES = 64 * 1024;
const ANSWER_BYTES = 4096;
const PASSWORD_FIELD = /<input\b[^>]*\btype\s*=\s*["']?password/i;

function fromBanner(banner: string): { name: string; product?: string } | undefined {
  for (const { service, re } of fingerprints()) {
    const m = re.exec(banner);
    if (m) {
      const product = m.groups?.product?.trim();
      return product ? { name: service, product } : { name: service };
    }
  }
  return undefined;
}

/** Telnet banners often name the firmware ("BusyBox v1.36.1", "firmware 1.0.3"): keep that line. */
function telnetProduct(banner: string): string | undefined {
  const lines = banner.replace(/\\x[0-9a-f]{2}/g, " ").split(/\\[rn]/);
  return lines.map((l) => l.trim()).find((l) => /\d+\.\d+/.test(l))?.slice(0, 120);
}

/** A connection, asked again when the network lost the first tries (a lossy link, not a refusal). */
async function connect(ctx: CheckContext, host: string, port: number): Promise<TcpConnection> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectTcp(ctx, host, port, ctx.pace.settings.connectTimeoutMs);
    } catch (err) {
      if (!(err instanceof TransportError) || err.kind !== "timeout" || attempt >= ctx.pace.settings.retries + 1) throw err;
    }
  }
}

async function speaksTls(ctx: CheckContext, host: string, port: number): Promise<boolean> {
  const conn = await connect(ctx, host, port);
  try {
    await conn.startTls({ timeoutMs: ctx.pace.settings.connectTimeoutMs * 2 });
    return true;
  } catch (err) {
    if (err instanceof TransportError && err.kind !== "aborted" && err.kind !== "out-of-scope") return false;
    throw err;
  } finally {
    conn.close();
  }
}

/** Send one probe on a fresh connection (inside TLS when the port speaks it); the answer, bounded. */
async function exchange(ctx: CheckContext, host: string, port: number, tls: boolean, probe: ServiceProbe): Promise<Buffer> {
  const { connectTimeoutMs, bannerWaitMs } = ctx.pace.settings;
  let conn = await connect(ctx, host, port);
  try {
    if (tls) conn = (await conn.startTls({ timeoutMs: connectTimeoutMs * 2 })).connection;
    await conn.write(probe.payload);
    return (await conn.read({ maxBytes: ANSWER_BYTES, timeoutMs: bannerWaitMs * 2 })).data;
  } catch (err) {
    if (err instanceof TransportError && !["aborted", "out-of-scope", "fragile-port"].includes(err.kind)) return Buffer.alloc(0);
    throw err;
  } finally {
    conn.close();
  }
}

/**
 * Where a redirect from `from` leads, when it stays on this server (a relative Location, or an
 * absolute one naming this host and port): embedded servers send /admin to /admin/ or / to
 * /login.html, and the login is behind it. Any other place is not this device's to ask.
 */
function sameServerTarget(location: string | undefined, from: string, host: string, port: number, tls: boolean): string | undefined {
  if (!location) return undefined;
  const base = `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let url: URL;
  try {
    url = new URL(location, base + from);
  } catch {
    return undefined;
  }
  return url.origin === new URL(base).origin ? url.pathname + url.search : undefined;
}

interface HttpFindings {
  pages: HttpInfo[];
  /** The web stack the answers name (harness/data/http-management.yaml), with its version when stated. */
  stack?: string;
  management: OpenManagement[];
}

async function askHttp(ctx: CheckContext, host: string, port: number, tls: boolean): Promise<HttpFindings> {
  const pages: HttpInfo[] = [];
  const answers = new Map<string, HttpResponse | undefined>();
  const get = async (path: string, headers?: Record<string, string>): Promise<HttpResponse | undefined> => {
    const key = `${path}\n${JSON.stringify(headers ?? {})}`;
    if (answers.has(key)) return answers.get(key);
    let res: HttpResponse | undefined;
    try {
      res = await httpGet(ctx, { host, port, tls, path, ...(headers ? { headers } : {}), timeoutMs: ctx.pace.settings.connectTimeoutMs * 2, maxBytes: PAGE_BYTES });
    } catch (err) {
      if (!(err instanceof TransportError && ["protocol", "closed", "timeout", "reset", "too-large"].includes(err.kind))) throw err;
    }
    answers.set(key, res);
    if (res && (res.status !== 404 || path === "/")) pages.push(pageInfo(path, res));
    return res;
  };

  const queue = [...adminPaths()];
  const asked = new Set<string>();
  // The listed paths, and one redirect hop from each, each asked once
  const hops = new Set<string>();
  while (queue.length) {
    const path = queue.shift()!;
    if (asked.has(path)) continue;
    asked.add(path);
    const res = await get(path);
    if (!res || res.status < 300 || res.status >= 400 || hops.has(path)) continue;
    const next = sameServerTarget(res.headers.location, path, host, port, tls);
    if (next) {
      hops.add(next);
      queue.unshift(next);
    }
  }

  // The known stacks' endpoints, as they are (no redirects followed)
  const requests = stackRequests();
  const stackAnswers = new Map<string, StackAnswer>();
  for (const r of requests) {
    const res = await get(r.path, r.headers);
    if (res) stackAnswers.set(r.id, res);
  }
  const pathOf = (id: string) => requests.find((r) => r.id === id)?.path ?? id;
  const stack = recogniseProduct(stackAnswers);
  return { pages, ...(stack ? { stack } : {}), management: openManagement(stackAnswers, pathOf) };
}

function pageInfo(path: string, res: HttpResponse): HttpInfo {
  const challenge = res.headers["www-authenticate"];
  const scheme = challenge ? /^\s*(\w+)/.exec(challenge)?.[1]?.toLowerCase() : undefined;
  const realm = challenge ? /realm\s*=\s*"([^"]{0,128})"/i.exec(challenge)?.[1] : undefined;
  return {
    path,
    status: res.status,
    ...(res.status === 401 && scheme ? { authScheme: scheme } : {}),
    ...(realm !== undefined ? { realm } : {}),
    ...(PASSWORD_FIELD.test(res.body.toString("latin1")) ? { loginForm: true } : {}),
    ...(res.headers.server ? { server: res.headers.server.slice(0, 128) } : {}),
  };
}

/** The name a service takes inside TLS: http → https, mqtt → mqtts. */
const TLS_NAMES: Record<string, string> = { http: "https", mqtt: "mqtts", "coap+tcp": "coaps+tcp" };

async function identify(ctx: CheckContext, host: string, open: OpenPort): Promise<Service> {
  const { port, banner } = open;
  const started = performance.now();
  if (banner) {
    const known = fromBanner(banner);
    if (known) {
      const product = known.product ?? (known.name === "telnet" ? telnetProduct(banner) : undefined);
      return { port, name: known.name, tls: false, banner, ...(product ? { product } : {}) };
    }
    return { port, name: "unknown", tls: false, banner };
  }
  if (fragileReason(port) && !ctx.options.allowFragile) return { port, name: "unknown", tls: false };
  const tls = await speaksTls(ctx, host, port);
  let answered = tls;
  for (const probe of probesFor(port)) {
    const answer = await exchange(ctx, host, port, tls, probe);
    if (answer.length) answered = true;
    const found = answer.length ? probe.match(answer) : undefined;
    if (!found) continue;
    const name = tls ? (TLS_NAMES[found.name] ?? `${found.name}+tls`) : found.name;
    if (found.name !== "http") return { port, name, tls, ...(found.product ? { product: found.product } : {}) };
    const { pages, stack, management } = await askHttp(ctx, host, port, tls);
    const product = stack ?? pages.find((p) => p.server)?.server;
    return { port, name, tls, http: pages, ...(product ? { product } : {}), ...(management.length ? { management } : {}) };
  }
  if (!answered) return { port, name: "unknown", tls, silentMs: Math.round(performance.now() - started) };
  return { port, name: tls ? "tls" : "unknown", tls };
}

export const services: Check = {
  id: "surface.services",
  title: "Services on open TCP ports",
  description:
    "Identifies the service on every open TCP port: from the banner it sent unasked (telnet negotiation, SSH, FTP …), " +
    "else by a TLS handshake and active probes (HTTP, MQTT CONNECT, RTSP, ADB, CoAP over TCP, gdbserver …) sent " +
    "inside TLS where the port speaks it. HTTP services get GETs of common admin paths and of the management " +
    "endpoints of known web stacks (Node-RED's Admin API …, harness/data/http-management.yaml), recording logins asked for " +
    "(401 challenges, password forms), the stack and its version, and endpoints that answer without credentials. Fragile ports (raw print and the like) get no payload unless allowed.",
  effect: "observe",
  needs: ["ip"],
  consumes: ["tcp.open"],
  produces: ["tcp.services"],

  plan(device) {
    return [{
      address: device.network?.address ?? "",
      port: "each open TCP port without a banner",
      protocol: "tls handshake, service probes, http GET",
      count: `1 TLS + up to ${probesFor(0).length} probes + ${adminPaths().length} + ${stackRequests().length} GET per port (and one more per redirect on the same server)`,
    }];
  },

  async run(ctx): Promise<Outcome> {
    const open = ctx.facts.get("tcp.open");
    if (!open?.length) return { verdict: "inconclusive", summary: "the port scan found no open port to identify" };
    const host = ctx.device.network!.address;
    const found: Service[] = [];
    let next = 0;
    const worker = async () => {
      while (next < open.length) {
        const port = open[next++]!;
        ctx.progress(`port ${port.port}`);
        found.push(await identify(ctx, host, port).catch((err: unknown) => {
          if (err instanceof TransportError && !["aborted", "out-of-scope"].includes(err.kind)) {
            return { port: port.port, name: "unknown", tls: false, ...(port.banner ? { banner: port.banner } : {}) };
          }
          throw err;
        }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, open.length) }, worker));
    found.sort((a, b) => a.port - b.port);
    ctx.facts.set("tcp.services", found);
    return {
      verdict: "pass",
      summary: found.map((s) => `${s.port}/${s.name}${s.product ? ` (${s.product})` : ""}`).join(", "),
    };
  },
};
