import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import { afterEach, describe, expect, it } from "vitest";
import { debugServices } from "../harness/checks/surface/debug-services.js";
import { probesFor } from "../harness/checks/surface/service-probes.js";
import { services } from "../harness/checks/surface/services.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";

const answers: [string, number, string, string | undefined][] = [
  ["HTTP status line", 80, "HTTP/1.1 401 Unauthorized\r\n", "http"],
  ["MQTT CONNACK accepted", 1883, "\x20\x02\x00\x00", "mqtt"],
  ["MQTT CONNACK not authorised", 1883, "\x20\x02\x00\x05", "mqtt"],
  ["RTSP with a Server header", 554, "RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: GStreamer RTSP server\r\n\r\n", "rtsp"],
  ["ADB asking for auth", 5555, "AUTH\x01\x00\x00\x00", "adb"],
  ["gdbserver stop reply", 1234, "+$T0505:00000000;#aa", "gdbserver"],
  ["CoAP over TCP CSM", 5683, "\x30\xe1\xc2\x04\x00", "coap+tcp"],
  ["noise", 80, "\x00\x01garbage", undefined],
];

describe("service probes", () => {
  it.each(answers)("%s", (_name, port, answer, expected) => {
    const found = probesFor(port).map((p) => p.match(Buffer.from(answer, "latin1"))).find(Boolean);
    expect(found?.name).toBe(expected);
  });

  it("names the RTSP product from its Server header", () => {
    const rtsp = probesFor(554)[0]!;
    expect(rtsp.name).toBe("rtsp");
    expect(rtsp.match(Buffer.from("RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: GStreamer RTSP server\r\n\r\n"))?.product).toBe("GStreamer RTSP server");
  });
});

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as { port: number }).port;
}

describe("surface.services against real servers", () => {
  it("names an MQTT broker (aedes), an HTTP server and a banner service", async () => {
    const broker = await Aedes.createBroker();
    const mqttPort = await listen(createServer(broker.handle));
    const httpPort = await listen(createHttpServer((_req, res) => res.writeHead(401, { "WWW-Authenticate": 'Basic realm="cam"', Server: "GoAhead-Webs/2.5.0" }).end()) as unknown as Server);
    const sshPort = await listen(createServer((s) => s.end("SSH-2.0-dropbear_2022.83\r\n")));
    const device: Descriptor = { id: "d", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" } };
    const ctx = makeContext({
      device,
      facts: { "tcp.open": [{ port: mqttPort }, { port: httpPort }, { port: sshPort, banner: "SSH-2.0-dropbear_2022.83\\r\\n" }] },
    });
    const outcome = await services.run(ctx);
    broker.close();
    expect(outcome.verdict).toBe("pass");
    const found = Object.fromEntries(ctx.facts.get("tcp.services")!.map((s) => [s.port, s]));
    expect(found[mqttPort]).toMatchObject({ name: "mqtt", tls: false });
    expect(found[httpPort]).toMatchObject({ name: "http", tls: false, product: "GoAhead-Webs/2.5.0" });
    expect(found[httpPort]!.http?.[0]).toMatchObject({ path: "/", status: 401, authScheme: "basic", realm: "cam" });
    expect(found[sshPort]).toMatchObject({ name: "ssh", product: "dropbear_2022.83" });
  });
});

describe("surface.services finds the login behind a redirect", () => {
  it("follows one redirect on the same server (/admin → /admin/), never one to another host", async () => {
    const asked: string[] = [];
    const httpPort = await listen(createHttpServer((req, res) => {
      asked.push(req.url!);
      if (req.url === "/admin") return res.writeHead(301, { location: `http://127.0.0.1:${httpPort}/admin/` }).end();
      if (req.url === "/login") return res.writeHead(302, { location: "http://198.51.100.7/login" }).end();
      if (req.url === "/admin/") return res.writeHead(401, { "www-authenticate": 'Digest realm="plug", nonce="abc", qop="auth"' }).end();
      res.writeHead(404).end();
    }) as unknown as Server);
    const device: Descriptor = { id: "d", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" } };
    const ctx = makeContext({ device, facts: { "tcp.open": [{ port: httpPort }] } });
    await services.run(ctx);
    const pages = ctx.facts.get("tcp.services")![0]!.http!;
    expect(pages.find((p) => p.path === "/admin/")).toMatchObject({ status: 401, authScheme: "digest", realm: "plug" });
    expect(asked.filter((u) => u === "/admin/")).toHaveLength(1);
    // the other host's /login was not asked: only paths of this server were
    expect(ctx.evidence.ledger.all().every((p) => p.address === "127.0.0.1")).toBe(true);
  });
});

describe("surface.debug-services", () => {
  const device: Descriptor = { id: "d", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" } };
  const cases: [string, string[], "pass" | "fail"][] = [
    ["telnet and adb are debug services", ["telnet", "adb", "https"], "fail"],
    ["gdbserver inside TLS still is", ["gdbserver+tls"], "fail"],
    ["web and MQTT are not", ["https", "mqtts", "ssh"], "pass"],
  ];
  it.each(cases)("%s", async (_name, names, verdict) => {
    const ctx = makeContext({ device, facts: { "tcp.services": names.map((name, i) => ({ port: 1000 + i, name, tls: name.endsWith("s") })) } });
    const outcome = await debugServices.run(ctx);
    expect(outcome.verdict).toBe(verdict);
    expect(outcome.findings?.length ?? 0).toBe(names.filter((n) => /^(telnet|adb|gdbserver)/.test(n)).length);
  });
});
