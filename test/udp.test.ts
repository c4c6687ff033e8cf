import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { udpProbes, udpServices, type UdpProbe } from "../harness/checks/surface/udp-services.js";
import { TransportError } from "../harness/core/errors.js";
import { Pace } from "../harness/core/pace.js";
import { parsePortSet } from "../harness/core/ports.js";
import { Scope } from "../harness/core/scope.js";
import type { Outcome } from "../harness/core/types.js";
import type { Descriptor } from "../harness/schema/types.js";
import { udpExchange } from "../harness/transports/udp.js";
import { makeContext, type TestContext, sentProbes } from "./helpers/context.js";

// The check probes fixed default ports (CoAP 5683, SSDP 1900, …), so its servers listen on an
// address of their own in 127.0.0.0/8 (all of it is loopback on Linux), apart from other tests.
const CHECK_HOST = "127.0.0.66";
const HOST = "127.0.0.1";

const sockets: Socket[] = [];
afterEach(() => closeAll());
afterAll(() => closeAll());
function closeAll(): void {
  for (const s of sockets.splice(0)) s.close();
}

type Handler = (msg: Buffer, from: RemoteInfo, socket: Socket) => void;

/** A real UDP server on host:port (0 = any free port) that records what it received. */
async function udpServer(handler: Handler, host = HOST, port = 0): Promise<{ port: number; received: Buffer[] }> {
  const socket = createSocket("udp4");
  sockets.push(socket);
  const received: Buffer[] = [];
  socket.on("message", (msg, from) => {
    received.push(msg);
    handler(msg, from, socket);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, host, () => resolve());
  });
  return { port: socket.address().port, received };
}

/** A port with nothing behind it: the kernel answers ICMP port unreachable. */
async function closedPort(host = HOST): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function extraSocket(host = HOST): Promise<Socket> {
  const s = createSocket("udp4");
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  return s;
}

const device = (address: string, openPorts: string[] = []): Descriptor => ({
  id: "t", vendor: "V", model: "M", firmware: "1", network: { address }, declared: { openPorts },
});

const limits = { timeoutMs: 300, maxBytes: 64 * 1024, maxDatagrams: 64 };

describe("udpExchange", () => {
  it("collects every datagram of the answer and counts it against the request", async () => {
    const server = await udpServer((msg, from, s) => {
      s.send(Buffer.alloc(120, 0x41), from.port, from.address);
      s.send(Buffer.alloc(180, 0x42), from.port, from.address);
    });
    const ctx = makeContext({ device: device(HOST) });
    const answer = await udpExchange(ctx, HOST, server.port, Buffer.alloc(10, 1), limits);
    expect(answer.datagrams.map((d) => d.length)).toEqual([120, 180]);
    expect(answer.bytes).toBe(300);
    expect(answer.truncated).toBe(false);
    expect(server.received).toEqual([Buffer.alloc(10, 1)]);
    expect(sentProbes(ctx.ledger)).toEqual([{ check: "test.check", address: HOST, ports: String(server.port), protocol: "udp", count: 1 }]);
  });

  it("returns an empty answer on silence, after the timeout", async () => {
    const server = await udpServer(() => {});
    const started = performance.now();
    const answer = await udpExchange(makeContext({ device: device(HOST) }), HOST, server.port, Buffer.from("x"), limits);
    expect(answer).toEqual({ datagrams: [], bytes: 0, truncated: false });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(server.received).toHaveLength(1);
  });

  it("reports an ICMP port unreachable as refused", async () => {
    const port = await closedPort();
    const err = await udpExchange(makeContext({ device: device(HOST) }), HOST, port, Buffer.from("x"), limits).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).kind).toBe("refused");
  });

  it("ignores datagrams from another port of the target unless anyPort, and from other hosts always", async () => {
    const otherPort = await extraSocket();
    const otherHost = await extraSocket("127.0.0.2");
    const server = await udpServer((_msg, from, s) => {
      otherPort.send("from another port", from.port, from.address);
      otherHost.send("from another host", from.port, from.address);
      setTimeout(() => s.send("from the target", from.port, from.address), 20);
    });
    const ctx = makeContext({ device: device(HOST) });
    const strict = await udpExchange(ctx, HOST, server.port, Buffer.from("x"), limits);
    expect(strict.datagrams.map(String)).toEqual(["from the target"]);
    const loose = await udpExchange(ctx, HOST, server.port, Buffer.from("x"), { ...limits, anyPort: true });
    expect(loose.datagrams.map(String)).toEqual(["from another port", "from the target"]);
  });

  it("stops a flood at maxDatagrams, and at maxBytes with the last datagram cut", async () => {
    const server = await udpServer((_msg, from, s) => {
      for (let i = 0; i < 1000; i++) s.send(Buffer.alloc(300, i & 0xff), from.port, from.address);
    });
    const ctx = makeContext({ device: device(HOST) });
    const byCount = await udpExchange(ctx, HOST, server.port, Buffer.from("x"), { ...limits, timeoutMs: 2000, maxDatagrams: 16 });
    expect(byCount.datagrams).toHaveLength(16);
    expect(byCount.bytes).toBe(16 * 300);
    expect(byCount.truncated).toBe(true);
    const byBytes = await udpExchange(ctx, HOST, server.port, Buffer.from("x"), { ...limits, timeoutMs: 2000, maxBytes: 1000 });
    expect(byBytes.datagrams.map((d) => d.length)).toEqual([300, 300, 300, 100]);
    expect(byBytes.bytes).toBe(1000);
    expect(byBytes.truncated).toBe(true);
  });

  it("refuses an address the descriptor does not name before sending anything", async () => {
    const server = await udpServer((_m, from, s) => s.send("hi", from.port, from.address));
    const ctx = makeContext({ device: device("127.0.0.2") });
    const err = await udpExchange(ctx, HOST, server.port, Buffer.from("x"), limits).catch((e: unknown) => e);
    expect((err as TransportError).kind).toBe("out-of-scope");
    await new Promise((r) => setTimeout(r, 50));
    expect(server.received).toHaveLength(0);
    expect(ctx.ledger.all()).toEqual([]);
  });

  it("refuses a payload to a fragile port unless the run allows it", async () => {
    const ctx = makeContext({ device: device(HOST) });
    const err = await udpExchange(ctx, HOST, 9999, Buffer.from("x"), limits).catch((e: unknown) => e);
    expect((err as TransportError).kind).toBe("fragile-port");
    expect(ctx.ledger.all()).toEqual([]);
  });

  it("stops with aborted when the run is interrupted", async () => {
    const server = await udpServer(() => {});
    const ctx = makeContext({ device: device(HOST) });
    setTimeout(() => ctx.abort(new Error("Ctrl-C")), 50);
    const err = await udpExchange(ctx, HOST, server.port, Buffer.from("x"), { ...limits, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((err as TransportError).kind).toBe("aborted");
  });
});

// ---- the probes as data: each payload is a valid message of its protocol ----

const probe = (service: string): UdpProbe => {
  const p = udpProbes().find((x) => x.service === service);
  if (!p) throw new Error(`no ${service} probe`);
  return p;
};

/** DNS name at `offset`, without compression (queries never compress); returns labels and the end. */
function readName(b: Buffer, offset: number): { labels: string[]; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (b[i] !== 0) {
    const len = b[i]!;
    expect(len).toBeLessThan(64);
    labels.push(b.subarray(i + 1, i + 1 + len).toString("latin1"));
    i += 1 + len;
  }
  return { labels, end: i + 1 };
}

/** One BER TLV with a short or long definite length. */
function tlv(b: Buffer, offset: number): { tag: number; value: Buffer; end: number } {
  const tag = b[offset]!;
  let len = b[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = b.readUIntBE(start, n);
    start += n;
  }
  expect(start + len).toBeLessThanOrEqual(b.length);
  return { tag, value: b.subarray(start, start + len), end: start + len };
}

function children(b: Buffer): { tag: number; value: Buffer }[] {
  const out = [];
  for (let i = 0; i < b.length;) {
    const t = tlv(b, i);
    out.push(t);
    i = t.end;
  }
  return out;
}

describe("udp-probes.yaml", () => {
  it("holds one well-formed probe per service, each small enough for one unfragmented datagram", () => {
    const probes = udpProbes();
    expect(probes.length).toBeGreaterThanOrEqual(9);
    expect(new Set(probes.map((p) => p.service)).size).toBe(probes.length);
    expect(new Set(probes.map((p) => p.port)).size).toBe(probes.length);
    for (const p of probes) {
      expect(p.port).toBeGreaterThan(0);
      expect(p.port).toBeLessThan(65536);
      expect(p.payload.length).toBeGreaterThan(0);
      // 1232 bytes: IPv6's minimum MTU (1280) less the IPv6 and UDP headers.
      expect(p.payload.length).toBeLessThanOrEqual(1232);
    }
    expect(probes.map((p) => p.service)).toEqual(expect.arrayContaining(["coap", "dtls", "snmp", "ssdp", "mdns", "ntp", "dns", "tftp", "ws-discovery"]));
  });

  it("CoAP: a confirmable GET of /.well-known/core with a message id and a token", () => {
    const b = probe("coap").payload;
    expect(b[0]! >> 6).toBe(1); // version
    expect((b[0]! >> 4) & 3).toBe(0); // CON
    const tkl = b[0]! & 0x0f;
    expect(tkl).toBe(4);
    expect(b[1]).toBe(0x01); // 0.01 GET
    expect(b.readUInt16BE(2)).not.toBe(0);
    const path: string[] = [];
    let option = 0;
    for (let i = 4 + tkl; i < b.length;) {
      expect(b[i]).not.toBe(0xff); // no payload
      const delta = b[i]! >> 4;
      const len = b[i]! & 0x0f;
      expect(delta).toBeLessThan(13);
      expect(len).toBeLessThan(13);
      option += delta;
      expect(option).toBe(11); // Uri-Path only
      path.push(b.subarray(i + 1, i + 1 + len).toString());
      i += 1 + len;
    }
    expect(path).toEqual([".well-known", "core"]);
  });

  it("DTLS: a ClientHello record whose lengths agree, with an empty cookie", () => {
    const b = probe("dtls").payload;
    expect(b[0]).toBe(22); // handshake
    expect(b[1]).toBe(0xfe);
    expect(b.readUInt16BE(3)).toBe(0); // epoch
    expect(b.readUInt16BE(11)).toBe(b.length - 13);
    const hs = b.subarray(13);
    expect(hs[0]).toBe(1); // client_hello
    const length = hs.readUIntBE(1, 3);
    expect(hs.readUInt16BE(4)).toBe(0); // message_seq
    expect(hs.readUIntBE(6, 3)).toBe(0); // fragment_offset
    expect(hs.readUIntBE(9, 3)).toBe(length); // unfragmented
    const body = hs.subarray(12);
    expect(body.length).toBe(length);
    expect(body.readUInt16BE(0)).toBe(0xfefd); // DTLS 1.2
    let i = 2 + 32;
    expect(body[i]).toBe(0); // session_id
    i += 1;
    expect(body[i]).toBe(0); // cookie, empty
    i += 1;
    const suitesLen = body.readUInt16BE(i);
    const suites = Array.from({ length: suitesLen / 2 }, (_, k) => body.readUInt16BE(i + 2 + 2 * k));
    expect(suites).toEqual(expect.arrayContaining([0xc0a8, 0xc0ae])); // CoAP's mandatory suites
    i += 2 + suitesLen;
    expect(body.subarray(i, i + 2)).toEqual(Buffer.from([1, 0])); // null compression
    i += 2;
    const extLen = body.readUInt16BE(i);
    expect(i + 2 + extLen).toBe(body.length);
  });

  it("SNMP: a v2c GetRequest for sysDescr.0 with community public", () => {
    const b = probe("snmp").payload;
    const msg = tlv(b, 0);
    expect(msg.tag).toBe(0x30);
    expect(msg.end).toBe(b.length);
    const [version, community, pdu] = children(msg.value);
    expect(version).toEqual({ tag: 0x02, value: Buffer.from([1]), end: expect.any(Number) });
    expect(community!.tag).toBe(0x04);
    expect(community!.value.toString()).toBe("public");
    expect(pdu!.tag).toBe(0xa0); // GetRequest-PDU
    const [requestId, status, index, bindings] = children(pdu!.value);
    expect(requestId!.tag).toBe(0x02);
    expect(status!.value).toEqual(Buffer.from([0]));
    expect(index!.value).toEqual(Buffer.from([0]));
    const [binding] = children(bindings!.value);
    const [oid, value] = children(binding!.value);
    expect(oid!.tag).toBe(0x06);
    expect(oid!.value).toEqual(Buffer.from([0x2b, 6, 1, 2, 1, 1, 1, 0])); // 1.3.6.1.2.1.1.1.0
    expect(value).toMatchObject({ tag: 0x05, value: Buffer.alloc(0) });
  });

  it("SNMP's first fallback: the same GetRequest as an SNMPv1 message, for agents that ignore v2c", () => {
    const { payload, fallbacks } = probe("snmp");
    const [version, ...rest] = children(tlv(fallbacks[0]!, 0).value);
    expect(version).toEqual({ tag: 0x02, value: Buffer.from([0]), end: expect.any(Number) });
    const [, ...restV2c] = children(tlv(payload, 0).value);
    expect(rest).toEqual(restV2c);
  });

  it("DNS and mDNS: one question each, parsed to the last byte", () => {
    const dns = probe("dns").payload;
    expect(dns.readUInt16BE(2) & 0xf800).toBe(0); // query, opcode 0
    expect([dns.readUInt16BE(4), dns.readUInt16BE(6), dns.readUInt16BE(8), dns.readUInt16BE(10)]).toEqual([1, 0, 0, 0]);
    const q = readName(dns, 12);
    expect(q.labels).toEqual(["version", "bind"]);
    expect([dns.readUInt16BE(q.end), dns.readUInt16BE(q.end + 2)]).toEqual([16, 3]); // TXT, CH
    expect(q.end + 4).toBe(dns.length);

    const mdns = probe("mdns").payload;
    expect(mdns.readUInt16BE(4)).toBe(1);
    const m = readName(mdns, 12);
    expect(m.labels).toEqual(["_services", "_dns-sd", "_udp", "local"]);
    expect([mdns.readUInt16BE(m.end), mdns.readUInt16BE(m.end + 2)]).toEqual([12, 0x8001]); // PTR, QU + IN
    expect(m.end + 4).toBe(mdns.length);
  });

  it("NTP: a 48-byte version 4 client request with a transmit timestamp to echo", () => {
    const b = probe("ntp").payload;
    expect(b.length).toBe(48);
    expect(b[0]! >> 6).toBe(0); // LI
    expect((b[0]! >> 3) & 7).toBe(4); // VN
    expect(b[0]! & 7).toBe(3); // mode 3, client (never 7: no monlist)
    expect(b.readBigUInt64BE(40)).not.toBe(0n);
    expect(udpProbes().some((p) => p.port === 123 && (p.payload[0]! & 7) !== 3)).toBe(false);
  });

  it("TFTP, SSDP, WS-Discovery and TP-Link payloads say what their comments say", () => {
    const tftp = probe("tftp").payload;
    expect(tftp.readUInt16BE(0)).toBe(1); // RRQ
    const [file, mode, rest] = tftp.subarray(2).toString("latin1").split("\0");
    expect(file).toMatch(/no-such-file/);
    expect([mode, rest]).toEqual(["octet", ""]);

    const ssdp = probe("ssdp").payload.toString("latin1");
    expect(ssdp.startsWith("M-SEARCH * HTTP/1.1\r\n")).toBe(true);
    expect(ssdp.endsWith("\r\n\r\n")).toBe(true);
    expect(ssdp).toContain('\r\nMAN: "ssdp:discover"\r\n');
    expect(ssdp).toContain("\r\nST: ssdp:all\r\n");

    const wsd = probe("ws-discovery").payload.toString("utf8");
    expect(wsd).toContain("/discovery/Probe</a:Action>");
    expect(wsd).toContain("<s:Body><d:Probe/></s:Body>");

    // XOR autokey, first key 171: decrypting gives the read-only sysinfo query.
    let key = 171;
    const plain = Buffer.from([...probe("tplink-smarthome").payload].map((c) => { const p = c ^ key; key = c; return p; }));
    expect(JSON.parse(plain.toString())).toEqual({ system: { get_sysinfo: {} } });
  });
});

describe("udp-probes.yaml answers", () => {
  const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ""), "hex");
  const xorAutokey = (text: string) => {
    let key = 171;
    return Buffer.from([...Buffer.from(text)].map((b) => (key = b ^ key)));
  };
  const ntpAnswer = Buffer.alloc(48);
  ntpAnswer[0] = 0x24; // LI 0, VN 4, mode 4 (server)
  Buffer.from("iotcert!").copy(ntpAnswer, 24);
  // What each service answers (written from the same specifications), and the product it yields.
  const answers: [service: string, answer: Buffer, product?: string][] = [
    ["coap", hex("6445 7a31 696f7463 c128 ff 3c2f3e"), undefined], // ACK 2.05, our message id
    ["coap", hex("5445 0bad 696f7463 ff 3c2f3e"), undefined], // separate NON response, our token
    ["dtls", hex("16feff 0000 000000000000 0023 03 000017 0000 000000 000017 feff 14" + "ab".repeat(20)), undefined], // HelloVerifyRequest
    ["dtls", hex("15fefd 0000 000000000000 0002 0228"), undefined], // fatal handshake_failure alert
    ["snmp", hex("302d 020101 04067075626c6963 a220 0204696f7463 020100 020100 3012 3010 06082b06010201010100 040441636d65"), "Acme"],
    // Debian snmpd's Report to the SNMPv3 engine discovery (usmStatsUnknownEngineIDs), as it sent it
    ["snmp", hex("307302010330110204696f7463020300ffe304010002010304223020041180001f8880d3009203282a136b000000000201010202022e0400040004003037041180001f8880d3009203282a136b000000000400a8200204696f746302010002010030123010060a2b060106030f01010400410201cd"), undefined],
    ["mdns", hex("0000 8400 0000 0001 0000 0000"), undefined],
    ["ntp", ntpAnswer, undefined],
    ["dns", hex("696f 8580 0001 0001 0000 0000 0776657273696f6e0462696e6400 0010 0003 c00c 0010 0003 00000000 0008 07 392e31382e3238"), "9.18.28"],
    ["dns", hex("696f 8105 0001 0000 0000 0000 0776657273696f6e0462696e6400 0010 0003"), undefined], // REFUSED
    ["tftp", hex("0005 0001 46696c65206e6f7420666f756e6400"), undefined], // ERROR 1, file not found
    ["ws-discovery", Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><d:ProbeMatches><d:ProbeMatch>' +
      "<d:Scopes>onvif://www.onvif.org/hardware/IPC-3120 onvif://www.onvif.org/name/Cam</d:Scopes></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"), "IPC-3120"],
    ["ubiquiti-discovery", hex("01000009 0c 0003 4c3547 0b 0000"), undefined],
    ["tplink-smarthome", xorAutokey('{"system":{"get_sysinfo":{"sw_ver":"1.0.8","model":"HS110(EU)"}}}'), undefined],
  ];
  it.each(answers)("%s recognises its answer", (service, answer, product) => {
    const p = probe(service);
    expect(p.matches(answer)).toBe(true);
    expect(p.product?.exec(answer.toString("latin1"))?.groups?.product).toBe(product);
  });

  it("no probe names an answer of another protocol", () => {
    const stranger = Buffer.from("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    expect(udpProbes().filter((p) => p.matches(stranger)).map((p) => p.service)).toEqual([]);
  });
});

// ---- the check against real in-process servers ----

/** CoAP over UDP as a device answers GET /.well-known/core: ACK, 2.05 Content, link-format. */
const LINKS = '</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux";if="sensor",</config>;ct=50';
const coapPaths: string[] = [];
const coapDevice: Handler = (msg, from, s) => {
  if (msg.length < 4 || msg[0]! >> 6 !== 1 || ((msg[0]! >> 4) & 3) !== 0) return;
  const tkl = msg[0]! & 0x0f;
  const token = msg.subarray(4, 4 + tkl);
  const path: string[] = [];
  for (let i = 4 + tkl, option = 0; i < msg.length && msg[i] !== 0xff;) {
    option += msg[i]! >> 4;
    const len = msg[i]! & 0x0f;
    if (option === 11) path.push(msg.subarray(i + 1, i + 1 + len).toString());
    i += 1 + len;
  }
  coapPaths.push(path.join("/"));
  const head = Buffer.from([0x60 | tkl, 0x45, msg[2]!, msg[3]!]); // ACK, 2.05 Content, same message id
  const contentFormat = Buffer.from([0xc1, 40]); // option 12, application/link-format
  s.send(Buffer.concat([head, token, contentFormat, Buffer.from([0xff]), Buffer.from(LINKS)]), from.port, from.address);
};

describe("surface.udp-services", () => {
  let outcome: Outcome;
  let ctx: TestContext;
  let ampPort: number;
  let silentPort: number;
  let closed: number;
  let silentReceived: Buffer[];
  let ssdpReceived: Buffer[];

  beforeAll(async () => {
    await udpServer(coapDevice, CHECK_HOST, 5683);
    // A UPnP stack answering unicast M-SEARCH from a socket of its own (as libupnp does), with two
    // datagrams; and a datagram from a foreign host that must not count.
    const replier = await extraSocket(CHECK_HOST);
    const stranger = await extraSocket("127.0.0.67");
    const ssdp = await udpServer((_msg, from) => {
      stranger.send("HTTP/1.1 200 OK\r\nSERVER: Impostor\r\n\r\n", from.port, from.address);
      for (const st of ["upnp:rootdevice", "urn:schemas-upnp-org:device:Basic:1"]) {
        replier.send(`HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://${CHECK_HOST}:49152/desc.xml\r\n` +
          `SERVER: Linux/5.10 UPnP/1.0 AcmeCam/2.1\r\nST: ${st}\r\nUSN: uuid:2f402f80-da50-11e1-9b23-001788000001::${st}\r\n\r\n`, from.port, from.address);
      }
    }, CHECK_HOST, 1900);
    ssdpReceived = ssdp.received;
    // A declared port that answers the generic 4-byte payload with 300 bytes in two datagrams.
    const amp = await udpServer((_msg, from, s) => {
      s.send(Buffer.alloc(100, 0x61), from.port, from.address);
      s.send(Buffer.alloc(200, 0x62), from.port, from.address);
    }, CHECK_HOST);
    ampPort = amp.port;
    const silent = await udpServer(() => {}, CHECK_HOST);
    silentPort = silent.port;
    silentReceived = silent.received;
    closed = await closedPort(CHECK_HOST);

    ctx = makeContext({
      device: device(CHECK_HOST, [`${ampPort}/udp`, `${silentPort}/udp`, `${closed}/udp`, "5683/udp"]),
      checkId: "surface.udp-services",
      pace: Pace.named("fast", { connectTimeoutMs: 300, retries: 1 }),
    });
    outcome = await udpServices.run(ctx);
  });

  const fact = () => ctx.facts.get("udp.services") ?? [];

  it("names a CoAP server that answered GET /.well-known/core", () => {
    expect(coapPaths).toContain(".well-known/core");
    const coap = fact().find((s) => s.port === 5683);
    expect(coap).toMatchObject({ service: "coap", requestBytes: probe("coap").payload.length, responseBytes: 4 + 4 + 2 + 1 + LINKS.length });
    expect(coap!.banner).toContain("</sensors/temp>");
  });

  it("names SSDP answered from another port, sums its datagrams and takes the SERVER header", () => {
    const ssdp = fact().find((s) => s.port === 1900);
    expect(ssdp).toMatchObject({ service: "ssdp", product: "Linux/5.10 UPnP/1.0 AcmeCam/2.1" });
    expect(ssdp!.product).not.toContain("Impostor");
    expect(ssdp!.responseBytes).toBeGreaterThan(2 * 200);
    expect(ssdpReceived).toHaveLength(1); // answered at once: no retry
    const upnp = outcome.findings!.find((f) => f.title.startsWith("UPnP/SSDP"));
    expect(upnp).toMatchObject({ severity: "low", evidence: { server: "Linux/5.10 UPnP/1.0 AcmeCam/2.1" } });
  });

  it("reports the amplification factor of a declared port answering a small probe with 300 bytes", () => {
    const amp = fact().find((s) => s.port === ampPort);
    expect(amp).toMatchObject({ service: "unknown", requestBytes: 4, responseBytes: 300 });
    const finding = outcome.findings!.find((f) => f.target?.port === ampPort);
    expect(finding).toMatchObject({
      severity: "high",
      target: { transport: "udp", address: CHECK_HOST, port: ampPort, service: "unknown" },
      evidence: { requestBytes: 4, responseBytes: 300, factor: 75 },
    });
    expect(finding!.title).toMatch(/75\.0x/);
    const ssdpFinding = outcome.findings!.find((f) => f.target?.port === 1900 && f.evidence?.factor);
    expect(ssdpFinding?.severity).toBe("medium"); // 164 bytes answered with about 2.6x that
    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toMatch(new RegExp(`amplification on .*${ampPort}/udp`));
  });

  it("leaves silent, refused and fragile ports out of the fact; retries only the silent", () => {
    const ports = fact().map((s) => s.port);
    expect(ports).not.toContain(silentPort);
    expect(ports).not.toContain(closed);
    expect(silentReceived).toHaveLength(2); // once, and once more on silence
    expect(outcome.evidence).toMatchObject({ refused: expect.arrayContaining([closed]), fragile: [9999] });
    expect(outcome.summary).toMatch(/fragile port 9999 not probed/);
    expect(ctx.ledger.all().flatMap((p) => parsePortSet(p.ports))).not.toContain(9999);
  });

  it("passes when nothing answers on a device that is up on TCP, and still publishes the (empty) observation", async () => {
    const pace = Pace.named("fast", { connectTimeoutMs: 200, retries: 0 });
    const quiet = makeContext({ device: device("127.0.0.68"), pace, facts: { "tcp.open": [{ port: 80 }] } });
    const result = await udpServices.run(quiet);
    expect(result.verdict).toBe("pass");
    expect(result.summary).toMatch(/^no UDP service answered \d+ probes/);
    expect(quiet.facts.get("udp.services")).toEqual([]);
  });

  it("is inconclusive when nothing answers and no TCP port is open either: the device may be off", async () => {
    const pace = Pace.named("fast", { connectTimeoutMs: 200, retries: 0 });
    const off = makeContext({ device: device("127.0.0.68"), pace });
    const result = await udpServices.run(off);
    expect(result.verdict).toBe("inconclusive");
    expect(off.facts.has("udp.services")).toBe(false);
  });

  it("refuses to probe when the scope does not name the descriptor's address", async () => {
    const server = await udpServer((_m, from, s) => s.send("x", from.port, from.address), CHECK_HOST);
    const guarded = makeContext({ device: device(CHECK_HOST, [`${server.port}/udp`]), scope: new Scope(["127.0.0.69"]) });
    const err = await udpServices.run(guarded).catch((e: unknown) => e);
    expect((err as TransportError).kind).toBe("out-of-scope");
    expect(server.received).toHaveLength(0);
    expect(guarded.ledger.all()).toEqual([]);
  });

  it("plans every probe with its port, service and the tries it may take", () => {
    const plan = udpServices.plan(device(CHECK_HOST, ["40000/udp", "5683/udp"]), Pace.named("normal"));
    expect(plan).toContainEqual({ address: CHECK_HOST, port: 5683, protocol: "udp coap", count: "1 to 2" });
    expect(plan).toContainEqual({ address: CHECK_HOST, port: 40000, protocol: "udp generic", count: "1 to 2" });
    // SNMP: v2c, then the SNMPv1 fallback, each with its retry
    expect(plan).toContainEqual({ address: CHECK_HOST, port: 161, protocol: "udp snmp", count: "1 to 6", note: "other forms of the request in turn while one gets no answer" });
    expect(plan.filter((p) => p.port === 5683)).toHaveLength(1);
    expect(plan.find((p) => p.port === 9999)?.note).toMatch(/--allow-fragile/);
  });
});
