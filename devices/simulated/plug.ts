// The vulnerable "Acme SmartPlug P1": telnet that takes root/xc3511 (a Mirai pair), a web admin
// page behind Basic auth admin/admin, and a debug console on a port its maker does not declare.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer } from "node:net";
import type { Descriptor } from "../../harness/schema/types.js";
import { lifecycle, type SimulatedDevice } from "./device.js";
import { createTelnetServer } from "./telnet-server.js";
import { listenInWindow } from "./window.js";

const TELNET = { username: "root", password: "xc3511" };
const WEB = { username: "admin", password: "admin" };
const REALM = "SmartPlug";

function adminPage(req: IncomingMessage, res: ServerResponse): void {
  const expected = `Basic ${Buffer.from(`${WEB.username}:${WEB.password}`).toString("base64")}`;
  if (req.headers.authorization !== expected) {
    res.writeHead(401, { "www-authenticate": `Basic realm="${REALM}"`, "content-type": "text/html" });
    res.end("<h1>401 Unauthorized</h1>");
  } else if (req.url === "/") {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<html><title>SmartPlug P1</title><body><h1>SmartPlug P1</h1><p>Relay: on</p></body></html>");
  } else {
    res.writeHead(404, { "content-type": "text/html" });
    res.end("<h1>404 Not Found</h1>");
  }
}

export async function startPlug(opts: { host?: string } = {}): Promise<SimulatedDevice> {
  const telnet = createTelnetServer({
    banner: "Acme SmartPlug P1 (firmware 1.0.3)",
    accounts: [TELNET],
    motd: "\r\n\r\nBusyBox v1.24.1 (2019-03-12 10:21:07 CST) built-in shell (ash)\r\nEnter 'help' for a list of built-in commands.\r\n",
  });
  const http = createHttpServer(adminPage);
  const debug = createServer((socket) => {
    socket.on("error", () => socket.destroy());
    socket.on("data", () => socket.write("unknown command\r\ndebug> "));
    socket.write("debug> ");
  });

  const window = await listenInWindow(opts.host ? [opts.host] : ["127.0.0.2", "127.0.0.1"], {
    telnet: { server: telnet, offset: 23 },
    http: { server: http, offset: 80 },
    debug: { server: debug, offset: 37 },
  });
  const { host, ports } = window;
  const descriptor: Descriptor = {
    id: "acme-plug-sim",
    vendor: "Acme",
    model: "SmartPlug P1",
    firmware: "1.0.3",
    // No UDP service: the usual UDP ports on a loopback address belong to the machine, not to this device.
    network: { address: host, tcpPorts: window.tcpPorts, udpPorts: [] },
    declared: { openPorts: [`${ports.telnet}/tcp`, `${ports.http}/tcp`] },
    attestations: { "5.2-1": { verdict: "fail", note: "no disclosure policy" } },
  };
  return { descriptor, host, ports, ...lifecycle([telnet, http, debug], window.release) };
}
