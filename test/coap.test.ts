// The CoAP checks against real servers on loopback: the `coap` package's server (block-wise
// included), and raw UDP sockets that answer with broken link format, malformed datagrams and
// block transfers that never end. Amplification is checked against the bytes a relay socket in
// front of the server really carried.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { generate, parse, type ParsedPacket } from "coap-packet";
import { createServer as createCoapServer, type IncomingMessage, type OutgoingMessage, type Server as CoapServer } from "coap";
import { afterEach, describe, expect, it } from "vitest";
import { amplification, printedFactor } from "../harness/checks/coap/amplification.js";
import { discovery } from "../harness/checks/coap/discovery.js";
import { dtls } from "../harness/checks/coap/dtls.js";
import { parseLinkFormat } from "../harness/checks/coap/link-format.js";
import { unauthenticatedAccess } from "../harness/checks/coap/unauthenticated-access.js";
import type { CoapResources } from "../harness/core/facts.js";
import type { Check, Outcome } from "../harness/core/types.js";
import type { Descriptor, Profile } from "../harness/schema/types.js";
import { coapTransfer, encodeUint } from "../harness/transports/coap.js";
import { makeContext, type TestContext } from "./helpers/context.js";
import { countingRelay } from "./helpers/udp-relay.js";

const HOST = "127.0.0.1";
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

const device = (port: number, extra: Partial<Descriptor> = {}): Descriptor => ({
  id: "t", vendor: "V", model: "M", firmware: "1", network: { address: HOST }, coap: { url: `coap://${HOST}:${port}` }, ...extra,
});

/** The `coap` package's server on a free loopback port; `resources` maps a path to its body. */
async function coapServer(resources: Record<string, string | Buffer>, links: string): Promise<{ port: number; server: CoapServer; seen: string[] }> {
  const seen: string[] = [];
  const server = createCoapServer((req: IncomingMessage, res: OutgoingMessage) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === "/.well-known/core") {
      res.setOption("Content-Format", "application/link-format");
      return res.end(links);
    }
    const body = resources[req.url];
    if (body === undefined) {
      res.code = "4.04";
      return res.end();
    }
    if (req.method === "PUT") {
      res.code = "2.04";
      return res.end();
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, () => resolve()));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server as unknown as { _sock: Socket })._sock.address().port;
  return { port, server, seen };
}

/** A raw UDP server that answers each datagram as `handler` says. */
async function rawServer(handler: (msg: Buffer, from: RemoteInfo, socket: Socket) => void, host = HOST, port = 0): Promise<{ port: number; received: Buffer[] }> {
  const socket = createSocket("udp4");
  const received: Buffer[] = [];
  socket.on("message", (msg, from) => {
    received.push(msg);
    handler(msg, from, socket);
  });
  await new Promise<void>((resolve) => socket.bind(port, host, () => resolve()));
  cleanup.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { port: socket.address().port, received };
}

/** Answer a parsed request with a piggybacked response. */
function reply(req: ParsedPacket, code: string, payload: Buffer, options: { name: string; value: Buffer }[] = []): Buffer {
  return generate({ ack: true, messageId: req.messageId, token: req.token, code, payload, options });
}

async function runCheck(check: Check, ctx: TestContext): Promise<Outcome> {
  return check.run(ctx);
}

const LIBCOAP_LIKE = '</>;title="General Info";ct=0,</time>;if="clock";rt="ticks";title="Internal Clock";ct=0;obs,</data>;ct=0';

describe("parseLinkFormat", () => {
  it("reads RFC 6690's own example, parameters and all", () => {
    const r = parseLinkFormat('</sensors/temp>;rt="temperature-c";if="sensor", </sensors/light>;rt="light-lux";if="sensor";obs,</t>;anchor="/sensors/temp";rel="alternate"');
    expect(r.errors).toEqual([]);
    expect(r.links).toEqual([
      { target: "/sensors/temp", params: { rt: "temperature-c", if: "sensor" } },
      { target: "/sensors/light", params: { rt: "light-lux", if: "sensor", obs: true } },
      { target: "/t", params: { anchor: "/sensors/temp", rel: "alternate" } },
    ]);
  });

  it("keeps commas and semicolons inside quoted values", () => {
    const r = parseLinkFormat('</a>;title="one, two; three",</b>');
    expect(r.links.map((l) => l.target)).toEqual(["/a", "/b"]);
    expect(r.links[0]!.params.title).toBe("one, two; three");
  });

  it("skips broken links, says why, and keeps the good ones", () => {
    const r = parseLinkFormat('garbage,</ok>;ct=0,</bad>;=x,</also-ok>, </unterminated;rt="x"');
    expect(r.links.map((l) => l.target)).toEqual(["/ok", "/bad", "/also-ok"]);
    expect(r.errors.length).toBeGreaterThanOrEqual(3);
  });

  it("survives an unterminated quote and bytes that are not UTF-8", () => {
    const r = parseLinkFormat(Buffer.concat([Buffer.from('</a>;title="never closed'), Buffer.from([0xff, 0xfe, 0x00])]));
    expect(r.links).toEqual([{ target: "/a", params: {} }]);
    expect(r.errors[0]).toMatch(/closing quote/);
  });

  it("does not let a parameter named __proto__ touch the prototype", () => {
    const r = parseLinkFormat('</a>;__proto__="x";constructor=1');
    expect(Object.getPrototypeOf(r.links[0]!.params)).toBe(Object.prototype);
    expect(Object.keys(r.links[0]!.params)).toEqual(["__proto__", "constructor"]);
  });

  it("is bounded: a huge list is cut, not read whole", () => {
    const huge = Array.from({ length: 20000 }, (_, i) => `</r${i}>`).join(",");
    const started = performance.now();
    const r = parseLinkFormat(huge);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(r.truncated).toBe(true);
    expect(r.links.length).toBeLessThanOrEqual(256);
  });
});

describe("coap.discovery", () => {
  it("lists the resources of a real CoAP server and publishes them", async () => {
    const { port } = await coapServer({ "/time": "Nov 26", "/data": "x" }, LIBCOAP_LIKE);
    const ctx = makeContext({ device: device(port) });
    const out = await runCheck(discovery, ctx);
    expect(out.verdict).toBe("pass");
    expect(out.summary).toContain("3 resources: /, /time, /data");
    const fact = ctx.facts.get("coap.resources")!;
    expect(fact.port).toBe(port);
    expect(fact.resources[1]).toEqual({ target: "/time", params: { if: "clock", rt: "ticks", title: "Internal Clock", ct: "0", obs: true } });
  });

  it("reads a link list longer than one datagram block by block", async () => {
    const links = Array.from({ length: 120 }, (_, i) => `</sensor/${i}>;rt="reading"`).join(",");
    expect(links.length).toBeGreaterThan(2048);
    const { port } = await coapServer({}, links);
    const ctx = makeContext({ device: device(port) });
    const out = await runCheck(discovery, ctx);
    expect(out.verdict).toBe("pass");
    expect(ctx.facts.get("coap.resources")!.resources).toHaveLength(120);
    expect((out.evidence as { blocks: number }).blocks).toBeGreaterThanOrEqual(3);
  });

  it("fails when a firmware or configuration resource is listed to anyone", async () => {
    const { port } = await coapServer({}, '</fw/update>;rt="ota",</sensors/temp>,</config>;title="Wi-Fi settings"');
    const out = await runCheck(discovery, makeContext({ device: device(port) }));
    expect(out.verdict).toBe("fail");
    expect(out.findings!.map((f) => f.title)).toEqual([
      expect.stringContaining("a firmware update resource to anyone: /fw/update"),
      expect.stringContaining("a configuration resource to anyone: /config"),
    ]);
  });

  it("reads what it can of broken link format, and fails neither the check nor the run", async () => {
    const server = await rawServer((msg, from, s) => {
      const req = parse(msg);
      s.send(reply(req, "2.05", Buffer.from('</ok>;ct=0,<<<;;;"",</unclosed;rt="x')), from.port, from.address);
    });
    const ctx = makeContext({ device: device(server.port) });
    const out = await runCheck(discovery, ctx);
    expect(out.verdict).toBe("pass");
    expect(ctx.facts.get("coap.resources")!.resources.map((r) => r.target)).toContain("/ok");
    expect(out.summary).toMatch(/syntax errors? skipped/);
  });

  it("is inconclusive, quickly, when only malformed datagrams come back", async () => {
    const server = await rawServer((_msg, from, s) => s.send(Buffer.from([0xff, 0x00, 0x01]), from.port, from.address));
    const started = performance.now();
    const out = await runCheck(discovery, makeContext({ device: device(server.port) }));
    expect(out.verdict).toBe("inconclusive");
    expect(out.summary).toMatch(/datagrams that were not CoAP/);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("stops a block-wise transfer that never ends", async () => {
    let asked = 0;
    const server = await rawServer((msg, from, s) => {
      const req = parse(msg);
      asked++;
      const num = req.options.find((o) => o.name === "Block2");
      const n = num ? Math.floor(num.value.reduce((a, b) => a * 256 + b, 0) / 16) : 0;
      s.send(reply(req, "2.05", Buffer.alloc(64, 0x41), [{ name: "Block2", value: encodeUint(n * 16 + 0x08 + 2) }]), from.port, from.address);
    });
    const ctx = makeContext({ device: device(server.port) });
    const t = await coapTransfer(ctx, HOST, server.port, { method: "GET", path: ["x"] }, { timeoutMs: 500, maxBytes: 4096, maxBodyBytes: 1 << 20, maxBlocks: 10 });
    expect(t.truncated).toBe(true);
    expect(t.exchanges).toHaveLength(10);
    expect(asked).toBe(10);
  });
});

describe("coap.unauthenticated-access", () => {
  const facts = (port: number, targets: string[]): { "coap.resources": CoapResources } => ({
    "coap.resources": { address: HOST, port, resources: targets.map((target) => ({ target, params: {} })) },
  });

  it("fails on resources that answer GET, and does not write without --state-changing", async () => {
    const { port, seen } = await coapServer({ "/time": "Nov 26 01:01", "/secret/key": "k" }, "");
    const ctx = makeContext({ device: device(port), facts: facts(port, ["/time", "/nothing", "/secret/key"]) });
    const out = await runCheck(unauthenticatedAccess, ctx);
    expect(out.verdict).toBe("fail");
    expect(out.summary).toContain("2 of 3 resources");
    expect(out.summary).toContain("PUT, POST and DELETE not tested");
    expect(out.findings!.map((f) => f.severity)).toEqual(["medium", "high"]);
    expect(out.findings![0]!.evidence).toMatchObject({ resource: "/time", code: "2.05", sampledPayload: "Nov 26 01:01" });
    expect(seen.every((s) => s.startsWith("GET "))).toBe(true);
  });

  it("with --state-changing PUTs back the value it read, and fails when the endpoint takes it", async () => {
    const { port, seen } = await coapServer({ "/led": "on" }, "");
    const ctx = makeContext({ device: device(port), facts: facts(port, ["/led"]), options: { stateChanging: true } });
    const out = await runCheck(unauthenticatedAccess, ctx);
    expect(seen).toEqual(["GET /led", "PUT /led"]);
    expect(out.findings!.map((f) => f.title)).toContainEqual(expect.stringContaining("PUT /led is accepted without authentication (2.04)"));
  });

  it("passes when every resource refuses an unauthenticated GET", async () => {
    const server = await rawServer((msg, from, s) => s.send(reply(parse(msg), "4.01", Buffer.alloc(0)), from.port, from.address));
    const out = await runCheck(unauthenticatedAccess, makeContext({ device: device(server.port), facts: facts(server.port, ["/a", "/b"]) }));
    expect(out.verdict).toBe("pass");
    expect(out.summary).toContain("0 of 2 resources");
  });
});

describe("coap.amplification", () => {
  it("prints the factor that the bytes on the wire give, discovery and the largest resource alike", async () => {
    const big = Buffer.alloc(3000, 0x61);
    const { port } = await coapServer({ "/small": "1", "/big": big }, '</small>,</big>;sz=3000');
    const relay = await countingRelay(HOST, port);
    cleanup.push(relay.close);
    const ctx = makeContext({ device: device(relay.port), facts: { "coap.resources": { address: HOST, port: relay.port, resources: [{ target: "/small", params: {} }, { target: "/big", params: {} }] } } });
    const out = await runCheck(amplification, ctx);
    const measurements = (out.evidence as { measurements: { request: string; requestBytes: number; responseBytes: number; factor: number; blocks: number }[] }).measurements;
    expect(measurements.map((m) => m.request)).toEqual(["GET /.well-known/core", "GET /big"]);
    // The relay carried, in order: discovery (1 request), sizing /small and /big (1 + 3 blocks),
    // then /big measured again (3 blocks). The first datagram each way of a measurement is the
    // one request an attacker sends and everything it drew.
    expect(relay.toServer).toHaveLength(1 + 1 + 3 + 3);
    expect(relay.toClient).toHaveLength(relay.toServer.length);
    const wire = [
      { requestBytes: relay.toServer[0]!, responseBytes: relay.toClient[0]! },
      { requestBytes: relay.toServer[5]!, responseBytes: relay.toClient[5]! },
    ];
    expect(measurements.map((m) => ({ requestBytes: m.requestBytes, responseBytes: m.responseBytes }))).toEqual(wire);
    for (const w of wire) expect(out.summary).toContain(`${w.requestBytes} → ${w.responseBytes} bytes (${printedFactor(w)}x)`);
    expect(measurements[1]!.blocks).toBe(3);
    // 1024-byte blocks from a request of some 10 bytes: far above the default threshold
    expect(out.verdict).toBe("fail");
    expect(out.findings!.map((f) => f.severity)).toContain("high");
  });

  it("counts every datagram an endpoint sends for one request, duplicates too", async () => {
    const server = await rawServer((msg, from, s) => {
      const answer = reply(parse(msg), "2.05", Buffer.alloc(40, 0x62));
      s.send(answer, from.port, from.address);
      s.send(answer, from.port, from.address);
    });
    const out = await runCheck(amplification, makeContext({ device: device(server.port) }));
    const m = (out.evidence as { measurements: { requestBytes: number; responseBytes: number }[] }).measurements[0]!;
    expect(m.requestBytes).toBe(server.received[0]!.length);
    expect(m.responseBytes).toBe(2 * (4 + 4 + 1 + 40));
  });

  it("takes the profile's threshold over the default", async () => {
    const server = await rawServer((msg, from, s) => s.send(reply(parse(msg), "2.05", Buffer.alloc(60, 0x63)), from.port, from.address));
    const profile: Profile = { id: "strict", title: "t", levels: ["low"], provisions: [], parameters: { amplificationFactor: 100 } };
    const ctx = { ...makeContext({ device: device(server.port) }), profile };
    const out = await runCheck(amplification, ctx);
    expect(out.verdict).toBe("pass");
    expect(out.evidence).toMatchObject({ threshold: 100, thresholdFrom: "profile strict" });
    expect(out.summary).toContain("threshold 100x");
  });
});

describe("coap.dtls", () => {
  // Fixed ports 5683/5684 on a loopback address of its own, apart from other tests.
  const DTLS_HOST = "127.0.0.67";
  const dev: Descriptor = { id: "t", vendor: "V", model: "M", firmware: "1", network: { address: DTLS_HOST } };

  it("fails on plain CoAP without DTLS, and records a CoAP ping answered with a Reset", async () => {
    const plain = await rawServer((msg, from, s) => {
      const p = parse(msg);
      if (p.code === "0.00") s.send(generate({ reset: true, messageId: p.messageId, code: "0.00" }), from.port, from.address);
    }, DTLS_HOST, 5683);
    const out = await runCheck(dtls, makeContext({ device: dev }));
    expect(plain.received[0]!.subarray(0, 2)).toEqual(Buffer.from([0x40, 0x00]));
    expect(out.verdict).toBe("fail");
    expect(out.findings![0]!.severity).toBe("high");
    expect(out.evidence).toMatchObject({ dtls: "refused", plain: "answered" });
  });

  it("is not applicable when neither port answers", async () => {
    const out = await runCheck(dtls, makeContext({ device: dev }));
    expect(out.verdict).toBe("not-applicable");
    expect(out.evidence).toMatchObject({ dtls: "refused", plain: "refused" });
  });

  it("asks nothing when the UDP scan found no CoAP or DTLS and the descriptor declares none", async () => {
    const ctx = makeContext({ device: dev, facts: { "udp.services": [] } });
    const out = await runCheck(dtls, ctx);
    expect(out.verdict).toBe("not-applicable");
    expect(ctx.ledger.all()).toEqual([]);
  });
});
