// update.transport against real HTTPS servers on loopback with throwaway certificates from openssl:
// a good update server, an untrusted one, one whose certificate names another host, one that also
// takes TLS 1.0, a manifest pointing to http://, a plain-HTTP copy on port 80, and a device that
// serves its firmware over plain HTTP.
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type ServerOptions } from "node:https";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { main } from "../harness/cli/main.js";
import type { Report } from "../harness/core/report.js";
import { capture } from "./helpers/capture.js";
import { updateTransport } from "../harness/checks/update/transport.js";
import type { Service } from "../harness/core/facts.js";
import { Pace } from "../harness/core/pace.js";
import type { RunOptions } from "../harness/core/types.js";
import type { DeclaredUpdate } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { TestPki } from "./fixtures/mud/pki.js";

const pki = new TestPki();
pki.issue("other-name", "ca", "/CN=updates.acme.example", "subjectAltName=DNS:updates.acme.example\nextendedKeyUsage=serverAuth");
const servers: (Server | HttpServer)[] = [];

const manifest = (base: string) => JSON.stringify({ version: "1.0.4", image: `${base}/fw-1.0.4.bin`, signature: `${base}/fw-1.0.4.bin.sig` });

/** An update server on 127.0.0.1 serving a manifest (from `body`), a firmware image and its signature. */
async function updateServer(options: ServerOptions, body: (base: string) => string = manifest): Promise<string> {
  let base = "";
  const server = createServer(options, (req, res) => {
    if (req.url === "/manifest.json") res.writeHead(200, { "content-type": "application/json" }).end(body(base));
    else if (req.url?.startsWith("/fw-1.0.4.bin")) res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.alloc(4096, 7));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return base;
}

async function plainServer(port: number, handler: Parameters<typeof createHttpServer>[1]): Promise<number> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

const good = () => ({ key: pki.key("server"), cert: pki.pem("server"), minVersion: "TLSv1.2" as const });
const urls = (base: string): DeclaredUpdate => ({ manifestUrl: `${base}/manifest.json`, firmwareUrl: `${base}/fw-1.0.4.bin`, signatureUrl: `${base}/fw-1.0.4.bin.sig` });
const trusted: Partial<RunOptions> = { updateTrustAnchors: [pki.pem("ca")] };

function context(update: DeclaredUpdate, options: Partial<RunOptions> = trusted, services?: Service[]) {
  return makeContext({
    device: { id: "p", vendor: "v", model: "m", firmware: "1", network: { address: "127.0.0.1" }, declared: { update } },
    options,
    pace: Pace.named("fast", { connectTimeoutMs: 2000 }),
    ...(services ? { facts: { "tcp.services": services } } : {}),
  });
}

const titles = (o: { findings?: { severity: string; title: string }[] }) => (o.findings ?? []).filter((f) => f.severity !== "info").map((f) => `${f.severity}: ${f.title}`);

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});
afterAll(() => pki.dispose());

describe("update.transport", () => {
  it("passes https URLs with a trusted certificate for the host, TLS 1.2+, and no plain-HTTP copy", async () => {
    const base = await updateServer(good());
    const outcome = await updateTransport.run(context(urls(base)));
    expect(titles(outcome)).toEqual([]);
    expect(outcome).toMatchObject({ verdict: "pass", evidence: { reached: 3 } });
  });

  it("fails a certificate the lab's trust anchors do not vouch for", async () => {
    const base = await updateServer(good());
    const outcome = await updateTransport.run(context({ manifestUrl: `${base}/manifest.json` }, {}));
    expect(outcome.verdict).toBe("fail");
    expect(titles(outcome)).toEqual([expect.stringMatching(/^high: the update manifest server's certificate is not trusted \(/)]);
  });

  it("fails a trusted certificate that names another host", async () => {
    const base = await updateServer({ key: pki.key("other-name"), cert: pki.pem("other-name") });
    const outcome = await updateTransport.run(context({ firmwareUrl: `${base}/fw-1.0.4.bin` }));
    expect(titles(outcome)).toEqual(["high: the update firmware server's certificate does not name 127.0.0.1"]);
  });

  it("fails a server that also accepts TLS 1.0", async () => {
    const base = await updateServer({ ...good(), minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" });
    const outcome = await updateTransport.run(context({ firmwareUrl: `${base}/fw-1.0.4.bin` }));
    expect(titles(outcome)).toEqual([expect.stringMatching(/^medium: the update firmware server also accepts TLSv1(\.1)?$/)]);
  });

  it("fails a declared http:// URL and a manifest that points to one", async () => {
    const plain = await updateTransport.run(context({ firmwareUrl: "http://127.0.0.1:1/fw.bin" }));
    expect(titles(plain)).toEqual(["high: the update firmware URL uses plain HTTP"]);
    const base = await updateServer(good(), () => JSON.stringify({ version: "1.0.4", image: "http://cdn.acme.example/fw-1.0.4.bin" }));
    const outcome = await updateTransport.run(context({ manifestUrl: `${base}/manifest.json` }));
    expect(titles(outcome)).toEqual(["high: the update manifest points to 1 plain-HTTP URL"]);
    expect(outcome.findings?.[0]?.evidence).toMatchObject({ plainUrls: ["http://cdn.acme.example/fw-1.0.4.bin"] });
  });

  it("fails when the same firmware is also served over plain HTTP on port 80", async () => {
    const base = await updateServer(good());
    // Port 80 on loopback, as the plain-HTTP twin of the update URL; root is needed to bind it
    await plainServer(80, (req, res) => res.writeHead(req.url === "/fw-1.0.4.bin" ? 200 : 404).end("firmware"));
    const outcome = await updateTransport.run(context({ firmwareUrl: `${base}/fw-1.0.4.bin` }));
    expect(titles(outcome)).toEqual(["high: the update firmware is also served over plain HTTP"]);
  });

  it("fails a device that serves its firmware over plain HTTP, not one that shows HTML pages", async () => {
    const port = await plainServer(0, (req, res) => {
      if (req.url === "/firmware.bin") res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.alloc(1024, 1));
      else res.writeHead(200, { "content-type": "text/html" }).end("<html>admin</html>");
    });
    const outcome = await updateTransport.run(context({}, trusted, [{ port, name: "http", tls: false }]));
    expect(titles(outcome)).toEqual([`high: the device serves /firmware.bin (firmware or an update manifest) over plain HTTP on port ${port}`]);
  });

  it("is inconclusive when no update URL is declared or none can be reached", async () => {
    expect((await updateTransport.run(context({}))).verdict).toBe("inconclusive");
    expect((await updateTransport.run(context({ manifestUrl: "https://127.0.0.1:1/manifest.json" }))).verdict).toBe("inconclusive");
  });
});

describe("iotcert run --update-trust", () => {
  async function iotcert(...argv: string[]) {
    const [out, err] = [capture(), capture()];
    const code = await main(argv, { out, err });
    return { code, err: err.text() };
  }

  it("judges the update server against the CA given, and refuses a file with no certificate", async () => {
    const base = await updateServer(good());
    const device = pki.path("update-device.yaml");
    writeFileSync(device, stringify({ id: "upd", vendor: "v", model: "m", firmware: "1", declared: { update: urls(base) } }));
    const out = pki.path("out");
    const trusted = await iotcert("run", device, "--only", "update.transport", "--out", out, "--update-trust", pki.path("ca.pem"));
    expect(trusted.code).toBe(0);
    const report = JSON.parse(readFileSync(`${out}/report.json`, "utf8")) as Report;
    expect(report.checks.find((c) => c.id === "update.transport")?.verdict).toBe("pass");

    const untrusted = await iotcert("run", device, "--only", "update.transport", "--out", out);
    expect(untrusted.code).toBe(0);
    expect((JSON.parse(readFileSync(`${out}/report.json`, "utf8")) as Report).checks.find((c) => c.id === "update.transport")?.verdict).toBe("fail");

    const bad = await iotcert("run", device, "--update-trust", device);
    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining(`--update-trust ${device}:`) });
  });
});
