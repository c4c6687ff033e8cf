// The update host as an attacker would run it: an HTTP(S) server on the address the lab makes the
// device's update host resolve to, serving one offer at a time — the files of a release at the
// paths of the declared manifest, firmware and signature URLs — and recording what the device asks.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server } from "node:net";

export interface Offer {
  /** URL path → body. */
  files: Map<string, Buffer>;
}

export interface Request {
  path: string;
  status: number;
  at: number;
}

export class RogueUpdateServer {
  #offer: Offer = { files: new Map() };
  #requests: Request[] = [];
  #server: Server | undefined;

  /** Serve `offer` from now on; the request log starts afresh. */
  offer(offer: Offer): void {
    this.#offer = offer;
    this.#requests = [];
  }

  get requests(): readonly Request[] {
    return this.#requests;
  }

  /** Whether the device has asked for `path` (and been given it) since the current offer began. */
  fetched(path: string): boolean {
    return this.#requests.some((r) => r.path === path && r.status === 200);
  }

  #handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? "/", "http://update.host").pathname;
    const body = req.method === "GET" || req.method === "HEAD" ? this.#offer.files.get(path) : undefined;
    this.#requests.push({ path: path.slice(0, 200), status: body ? 200 : 404, at: Date.now() });
    if (this.#requests.length > 10_000) this.#requests.splice(0, 5_000);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length, "cache-control": "no-store" }).end(req.method === "HEAD" ? undefined : body);
  };

  async listen(address: string, port: number, tls?: { cert: Buffer; key: Buffer }): Promise<void> {
    const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, this.#handle) : createHttpServer(this.#handle);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, address, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  }
}
