import { createServer, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { startPlug } from "../devices/simulated/plug.js";
import type { SimulatedDevice } from "../devices/simulated/device.js";
import { TransportError } from "../harness/core/errors.js";
import type { Descriptor } from "../harness/schema/types.js";
import { connectTelnet, telnetLogin } from "../harness/transports/telnet.js";
import { makeContext, sentProbes } from "./helpers/context.js";

const IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;
const ECHO = 1, SGA = 3, STATUS = 5, TTYPE = 24, NAWS = 31;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

const local = (port = 1): Descriptor => ({ id: "t", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1", tcpPorts: [port] } });

/** A raw TCP server on 127.0.0.1 that runs `onSocket` and keeps every byte it receives. */
async function rawServer(onSocket: (socket: Socket) => void): Promise<{ port: number; received: () => Buffer }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { port: (server.address() as { port: number }).port, received: () => Buffer.concat(chunks) };
}

async function plug(): Promise<SimulatedDevice> {
  const device = await startPlug();
  cleanup.push(() => device.stop());
  return device;
}

const timing = { connectTimeoutMs: 1000, replyTimeoutMs: 1000 };

describe("telnet option negotiation", () => {
  it("agrees to server ECHO and SGA and our SGA, refuses everything else, skips subnegotiation, unescapes IAC IAC", async () => {
    const server = await rawServer((socket) => {
      // Split mid-command and mid-subnegotiation: the client must keep state across reads
      socket.write(Buffer.from([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, NAWS, IAC, DO, TTYPE, IAC]));
      setTimeout(() => socket.write(Buffer.from([
        DO, SGA, IAC, WILL, STATUS, IAC, SB, NAWS, 0, 80, IAC, IAC, 0, IAC,
      ])), 30);
      setTimeout(() => socket.write(Buffer.concat([
        Buffer.from([SE]),
        Buffer.from("Welcome\r\nprice "),
        Buffer.from([IAC, IAC]),
        // Repeats of agreed options get no answer; a withdrawal is acknowledged once
        Buffer.from([IAC, WILL, ECHO, IAC, WONT, ECHO]),
        Buffer.from("\r\nlogin: "),
      ])), 60);
    });
    const ctx = makeContext({ device: local(server.port) });
    const session = await connectTelnet(ctx, "127.0.0.1", server.port, 1000);
    cleanup.push(() => session.close());
    const { text, end } = await session.readText((t) => t.endsWith("login: "), { timeoutMs: 2000, maxBytes: 4096 });
    expect(end).toBe("match");
    expect(text).toBe("Welcome\r\nprice \u00ff\r\nlogin: ");

    await sleep(50);
    expect([...server.received()]).toEqual([
      IAC, DO, ECHO,
      IAC, DO, SGA,
      IAC, WONT, NAWS,
      IAC, WONT, TTYPE,
      IAC, WILL, SGA,
      IAC, DONT, STATUS,
      IAC, DONT, ECHO,
    ]);
    expect(session.transcript).toContain("Welcome\\r\\nprice \\xff\\r\\nlogin: ");
  });
});

describe("telnetLogin", () => {
  it("logs in to the simulated plug with root/xc3511 and sees a shell", async () => {
    const device = await plug();
    const ctx = makeContext({ device: device.descriptor });
    const login = await telnetLogin(ctx, device.host, device.ports.telnet!, { username: "root", password: "xc3511" }, timing);
    expect(login.result).toBe("success");
    expect(login.transcript).toContain("BusyBox v1.24.1");
    expect(login.transcript).not.toContain("xc3511");
    expect(sentProbes(ctx.ledger)).toEqual([{ check: "test.check", address: device.host, ports: String(device.ports.telnet), protocol: "tcp", count: 1 }]);
  });

  it("reports a wrong password as rejected", async () => {
    const device = await plug();
    const ctx = makeContext({ device: device.descriptor });
    const login = await telnetLogin(ctx, device.host, device.ports.telnet!, { username: "root", password: "wrong" }, timing);
    expect(login.result).toBe("rejected");
    expect(login.transcript).toContain("Login incorrect");
  });

  it("reports a service that asks no login name as no-prompt", async () => {
    const server = await rawServer((socket) => socket.write("BusyBox v1.19.4 built-in shell (ash)\r\n# "));
    const ctx = makeContext({ device: local(server.port) });
    const login = await telnetLogin(ctx, "127.0.0.1", server.port, { username: "root", password: "x" }, timing);
    expect(login.result).toBe("no-prompt");
  });

  it("throws a timeout, not a rejection, when the server goes silent after the user name", async () => {
    const server = await rawServer((socket) => socket.write(Buffer.concat([Buffer.from([IAC, WILL, ECHO]), Buffer.from("login: ")])));
    const ctx = makeContext({ device: local(server.port) });
    const attempt = telnetLogin(ctx, "127.0.0.1", server.port, { username: "root", password: "x" }, { connectTimeoutMs: 1000, replyTimeoutMs: 300 });
    await expect(attempt).rejects.toBeInstanceOf(TransportError);
    await expect(attempt).rejects.toMatchObject({ kind: "timeout" });
    // It did get as far as sending the user name
    expect(server.received().toString("latin1")).toContain("root\r\n");
  });

  it("throws a timeout when the server never speaks", async () => {
    const server = await rawServer(() => {});
    const ctx = makeContext({ device: local(server.port) });
    await expect(telnetLogin(ctx, "127.0.0.1", server.port, { username: "root", password: "x" }, { connectTimeoutMs: 1000, replyTimeoutMs: 200 }))
      .rejects.toMatchObject({ kind: "timeout" });
  });

  it("throws refused for a port nobody listens on", async () => {
    const server = await rawServer(() => {});
    const port = server.port;
    await cleanup.pop()!();
    const ctx = makeContext({ device: local(port) });
    await expect(telnetLogin(ctx, "127.0.0.1", port, { username: "root", password: "x" }, timing)).rejects.toMatchObject({ kind: "refused" });
  });

  it("throws closed when the device hangs up after the password without a word", async () => {
    const server = await rawServer((socket) => {
      let lines = 0;
      socket.write("login: ");
      socket.on("data", () => {
        if (++lines === 1) socket.write("Password: ");
        else socket.end();
      });
    });
    const ctx = makeContext({ device: local(server.port) });
    await expect(telnetLogin(ctx, "127.0.0.1", server.port, { username: "root", password: "x" }, timing)).rejects.toMatchObject({ kind: "closed" });
  });
});
