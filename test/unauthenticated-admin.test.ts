// credentials.unauthenticated-admin and the web stack identification behind it, against a real
// Node-RED 4 started on 127.0.0.1 (its default settings, and adminAuth set) and against
// in-process web servers with and without a login in front of their admin page.
import { createServer, type Server } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { unauthenticatedAdmin } from "../harness/checks/credentials/unauthenticated-admin.js";
import { services } from "../harness/checks/surface/services.js";
import { versionDisclosure } from "../harness/checks/surface/version-disclosure.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { startNodeRed, type NodeRed } from "./helpers/node-red.js";

const device: Descriptor = { id: "d", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" } };

/** surface.services on one port, then the checks that read what it found. */
async function judge(port: number) {
  const ctx = makeContext({ device, facts: { "tcp.open": [{ port }] } });
  await services.run(ctx);
  const service = ctx.facts.get("tcp.services")![0]!;
  return { ctx, service, admin: await unauthenticatedAdmin.run(ctx), versions: await versionDisclosure.run(ctx) };
}

describe("Node-RED 4 on 127.0.0.1", () => {
  let open: NodeRed;
  let secured: NodeRed;
  beforeAll(async () => {
    [open, secured] = await Promise.all([startNodeRed(), startNodeRed({ users: [{ username: "admin", password: "correct-horse-battery-9" }] })]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([open?.stop(), secured?.stop()]);
  });

  it("with its default settings: the Admin API answers anyone, a critical finding; its version is named and disclosed", async () => {
    const flows = () => fetch(`http://127.0.0.1:${open.port}/flows`, { headers: { "Node-RED-API-Version": "v2" } }).then((r) => r.json());
    const before = await flows();
    const { service, admin, versions } = await judge(open.port);
    expect(service.name).toBe("http");
    expect(service.product).toMatch(/^Node-RED 4\.1\.\d+/);
    expect(admin.verdict).toBe("fail");
    expect(admin.findings).toHaveLength(1);
    const f = admin.findings![0]!;
    expect(f.severity).toBe("critical");
    expect(f.title).toContain("Node-RED's Admin HTTP API needs no login");
    expect(f.evidence).toMatchObject({ rule: "node-red-admin-api", capability: "deploy-code", paths: ["/auth/login", "/flows"] });
    expect(versions.verdict).toBe("fail");
    expect(versions.findings!.find((x) => x.target?.port === open.port)!.evidence).toEqual({ product: service.product });
    // Only GETs reached it: the deployed flows are the same revision
    expect(await flows()).toEqual(before);
  });

  it("with adminAuth: no management endpoint answers, the product is named without a version", async () => {
    const { service, admin, versions } = await judge(secured.port);
    expect(service.product).toBe("Node-RED");
    expect(service.management).toBeUndefined();
    expect(admin.verdict).toBe("pass");
    expect(service.http!.find((p) => p.path === "/flows")).toMatchObject({ status: 401, authScheme: "bearer" });
    expect(versions.verdict).toBe("pass");
  });
});

describe("generic admin pages", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  async function serve(admin: (res: import("node:http").ServerResponse) => void): Promise<number> {
    const server = createServer((req, res) => {
      if (req.url === "/admin") return admin(res);
      res.writeHead(req.url === "/" ? 200 : 404, { "Content-Type": "text/html" }).end("<html><body>Status: online</body></html>");
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as { port: number }).port;
  }
  const SETTINGS = '<html><body><form action="/apply.cgi">SSID <input name="ssid"> <select name="band"></select></form></body></html>';
  const LOGIN = '<html><body><form action="/login.cgi"><input name="user"><input type="password" name="pw"></form></body></html>';

  it("a settings form served with no login fails (high)", async () => {
    const port = await serve((res) => res.writeHead(200, { "Content-Type": "text/html" }).end(SETTINGS));
    const { admin } = await judge(port);
    expect(admin.verdict).toBe("fail");
    expect(admin.findings!.map((f) => [f.severity, f.evidence!.rule, f.evidence!.paths])).toEqual([["high", "admin-page", ["/admin"]]]);
  });

  it.each([
    ["behind Basic auth", (res: import("node:http").ServerResponse) => res.writeHead(401, { "WWW-Authenticate": 'Basic realm="router"' }).end()],
    ["a login form", (res: import("node:http").ServerResponse) => res.writeHead(200, { "Content-Type": "text/html" }).end(LOGIN)],
    ["a page without a form", (res: import("node:http").ServerResponse) => res.writeHead(200, { "Content-Type": "text/html" }).end("<html>Settings</html>")],
  ])("an admin page %s passes", async (_name, admin) => {
    const port = await serve(admin);
    const out = await judge(port);
    expect(out.admin.verdict).toBe("pass");
    expect(out.admin.findings).toBeUndefined();
  });

  it("no web interface: not applicable; no identification: inconclusive", async () => {
    const ssh = makeContext({ device, facts: { "tcp.services": [{ port: 22, name: "ssh", tls: false }] } });
    expect((await unauthenticatedAdmin.run(ssh)).verdict).toBe("not-applicable");
    expect((await unauthenticatedAdmin.run(makeContext({ device }))).verdict).toBe("inconclusive");
  });
});
