import { createServer as createHttpServer, type RequestListener } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startThermostat } from "../devices/simulated/thermostat.js";
import { TransportError } from "../harness/core/errors.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { basicAuthHeader, httpGet } from "../harness/transports/http.js";
import { makeContext } from "./helpers/context.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

const local: Descriptor = { id: "t", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" } };

/** Listen on 127.0.0.1, track sockets so the test can tell when the client hung up. */
async function serve(server: Server): Promise<{ port: number; open: () => number }> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { port: (server.address() as { port: number }).port, open: () => sockets.size };
}

const http = (handler: RequestListener) => serve(createHttpServer(handler));
const raw = (onSocket: (s: Socket) => void) => serve(createServer((s) => {
  s.on("error", () => {});
  onSocket(s);
}));

const get = (port: number, extra: { path?: string; timeoutMs?: number; maxBytes?: number; headers?: Record<string, string> } = {}) =>
  httpGet(makeContext({ device: local }), {
    host: "127.0.0.1", port, tls: false, path: extra.path ?? "/", timeoutMs: extra.timeoutMs ?? 2000, maxBytes: extra.maxBytes ?? 65536,
    ...(extra.headers ? { headers: extra.headers } : {}),
  });

describe("httpGet", () => {
  it("reads status, lower-cased headers (first value wins) and a Content-Length body", async () => {
    let seen: Record<string, unknown> = {};
    const server = await http((req, res) => {
      seen = { url: req.url, host: req.headers.host, connection: req.headers.connection, custom: req.headers["x-probe"] };
      res.setHeader("Set-Cookie", ["a=1", "b=2"]);
      res.setHeader("X-Device", "plug");
      res.writeHead(201, { "Content-Length": "5" });
      res.end("hello");
    });
    const res = await get(server.port, { path: "/status?x=1", headers: { "X-Probe": "yes" } });
    expect(res.status).toBe(201);
    expect(res.headers["x-device"]).toBe("plug");
    expect(res.headers["set-cookie"]).toBe("a=1");
    expect(res.body.toString()).toBe("hello");
    expect(res.truncated).toBe(false);
    expect(seen).toEqual({ url: "/status?x=1", host: `127.0.0.1:${server.port}`, connection: "close", custom: "yes" });
  });

  it("reassembles a chunked body", async () => {
    const server = await http((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("one,");
      setTimeout(() => res.write("two,"), 10);
      setTimeout(() => res.end("three"), 20);
    });
    const res = await get(server.port);
    expect(res.headers["transfer-encoding"]).toBe("chunked");
    expect(res.body.toString()).toBe("one,two,three");
  });

  it("reads a body without length to the close, and tolerates bare LF line ends", async () => {
    const server = await raw((s) => s.once("data", () => s.end("HTTP/1.0 200 OK\nServer: GoAhead-Webs\n\n<html>cam</html>")));
    const res = await get(server.port);
    expect(res.status).toBe(200);
    expect(res.headers.server).toBe("GoAhead-Webs");
    expect(res.body.toString()).toBe("<html>cam</html>");
  });

  it("cuts an endless body at maxBytes and hangs up", async () => {
    const server = await http((_req, res) => {
      res.writeHead(200);
      const block = Buffer.alloc(16 * 1024, 0x41);
      const pump = () => {
        while (!res.destroyed && res.write(block));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    const res = await get(server.port, { maxBytes: 100_000 });
    expect(res.body.length).toBe(100_000);
    expect(res.truncated).toBe(true);
    await expect.poll(() => server.open()).toBe(0);
  });

  it("times out on a server that accepts and never answers", async () => {
    const server = await raw((s) => s.resume());
    const started = performance.now();
    const attempt = get(server.port, { timeoutMs: 300 });
    await expect(attempt).rejects.toBeInstanceOf(TransportError);
    await expect(attempt).rejects.toMatchObject({ kind: "timeout" });
    expect(performance.now() - started).toBeLessThan(2000);
    await expect.poll(() => server.open()).toBe(0);
  });

  it("calls a non-HTTP answer a protocol error and oversized headers too large", async () => {
    const ssh = await raw((s) => s.end("SSH-2.0-dropbear_2022.83\r\n"));
    await expect(get(ssh.port)).rejects.toMatchObject({ kind: "protocol" });
    const huge = await raw((s) => s.once("data", () => s.end(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`)));
    await expect(get(huge.port)).rejects.toMatchObject({ kind: "too-large" });
  });

  it("calls a hang-up before any answer closed, and a free port refused", async () => {
    const hangup = await raw((s) => s.once("data", () => s.end()));
    await expect(get(hangup.port)).rejects.toMatchObject({ kind: "closed" });
    const gone = await raw(() => {});
    await cleanup.pop()!();
    await expect(get(gone.port)).rejects.toMatchObject({ kind: "refused" });
  });

  it("gives its connection slot back however the exchange ends", async () => {
    const endless = await http((_req, res) => {
      res.writeHead(200);
      res.write(Buffer.alloc(64 * 1024));
    });
    const silent = await raw((s) => s.resume());
    const ok = await http((_req, res) => res.end("ok"));
    // One connection at a time: a slot kept by any exchange would stall the next one
    const ctx = makeContext({ device: local, pace: Pace.named("fast", { connections: 1 }) });
    const at = (port: number) => ({ host: "127.0.0.1", port, tls: false, path: "/", timeoutMs: 500, maxBytes: 1000 });
    expect((await httpGet(ctx, at(endless.port))).truncated).toBe(true);
    await expect(httpGet(ctx, at(silent.port))).rejects.toMatchObject({ kind: "timeout" });
    await expect(httpGet(ctx, at(ok.port))).resolves.toMatchObject({ status: 200 });
  });

  it("speaks HTTPS after a TLS handshake, with Basic auth", async () => {
    const thermostat = await startThermostat({ host: "127.0.0.1" });
    cleanup.push(() => thermostat.stop());
    const ctx = makeContext({ device: thermostat.descriptor });
    const { username, password } = thermostat.descriptor.declared!.credentials![0]!;
    const base = { host: thermostat.host, port: thermostat.ports.https!, tls: true, path: "/", timeoutMs: 3000, maxBytes: 4096 };

    const refused = await httpGet(ctx, base);
    expect(refused.status).toBe(401);
    expect(refused.headers["www-authenticate"]).toMatch(/^Basic realm="Nordlys T2"/);

    const page = await httpGet(ctx, { ...base, headers: { authorization: basicAuthHeader(username, password) } });
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain("Nordlys T2");
  });

  it("refuses an address outside the descriptor before connecting", async () => {
    const server = await http((_req, res) => res.end("x"));
    const ctx = makeContext({ device: { ...local, network: { address: "127.0.0.2" } } });
    await expect(httpGet(ctx, { host: "127.0.0.1", port: server.port, tls: false, path: "/", timeoutMs: 1000, maxBytes: 10 }))
      .rejects.toMatchObject({ kind: "out-of-scope" });
    expect(ctx.ledger.all()).toEqual([]);
  });
});

describe("basicAuthHeader", () => {
  it("encodes user:password as UTF-8 base64 (RFC 7617)", () => {
    expect(basicAuthHeader("Aladdin", "open sesame")).toBe("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    expect(basicAuthHeader("admin", "pässword")).toBe(`Basic ${Buffer.from("admin:pässword", "utf8").toString("base64")}`);
  });
});
