// A port that accepts connections and never says a word, behind every login type the credential
// checks drive: it is never a pass and never a wrong password, but inconclusive, saying so. Also a
// silent port the service scan could not name, and a login that goes silent after answering.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bruteforceProtection } from "../harness/checks/credentials/bruteforce-protection.js";
import { defaultPasswords } from "../harness/checks/credentials/default-passwords.js";
import { services as serviceScan } from "../harness/checks/surface/services.js";
import type { Service } from "../harness/core/facts.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { startMutePort, type MutePort } from "./helpers/silent-ports.js";

const device: Descriptor = { id: "mute", vendor: "test", model: "test", firmware: "0", network: { address: "127.0.0.1" } };
const NEVER_SPOKE = (port: number) => new RegExp(`port ${port} accepted the connection and never spoke in \\d+(\\.\\d)? s`);

/** The service fact a scan made of each login type, on `port`. */
const AS: Record<string, (port: number) => Service> = {
  telnet: (port) => ({ port, name: "telnet", tls: false }),
  ssh: (port) => ({ port, name: "ssh", tls: false }),
  ftp: (port) => ({ port, name: "ftp", tls: false }),
  http: (port) => ({ port, name: "http", tls: false, http: [{ path: "/admin/", status: 401, authScheme: "basic" }] }),
  rtsp: (port) => ({ port, name: "rtsp", tls: false }),
  mqtt: (port) => ({ port, name: "mqtt", tls: false }),
};

const contextFor = (checkId: string, services: Service[]) => makeContext({
  device, checkId, pace: Pace.named("fast", { attemptsPerService: 6, loginsAtOnce: 2 }), facts: { "tcp.services": services },
});

let mute: MutePort;
beforeAll(async () => {
  mute = await startMutePort();
});
afterAll(() => mute.stop());

describe.concurrent("a port that accepts and never speaks", () => {
  for (const kind of Object.keys(AS)) {
    it(`leaves credentials.default-passwords inconclusive over ${kind}, with no pair counted`, async () => {
      const outcome = await defaultPasswords.run(contextFor(defaultPasswords.id, [AS[kind]!(mute.port)]));
      expect(outcome.verdict).toBe("inconclusive");
      expect(outcome.summary).toMatch(new RegExp(`on port ${mute.port}: only 0 of \\d+ pairs tried \\(`));
      expect(outcome.summary).toMatch(NEVER_SPOKE(mute.port));
      expect(outcome.findings).toEqual([]);
      expect(outcome.evidence?.services).toEqual([expect.objectContaining({ port: mute.port, tried: 0 })]);
    });

    it(`leaves credentials.bruteforce-protection inconclusive over ${kind}, not "locks out"`, async () => {
      const outcome = await bruteforceProtection.run(contextFor(bruteforceProtection.id, [AS[kind]!(mute.port)]));
      expect(outcome.verdict).toBe("inconclusive");
      expect(outcome.summary).toMatch(NEVER_SPOKE(mute.port));
      const [service] = outcome.evidence?.services as Record<string, unknown>[];
      expect(service).toMatchObject({ answered: 0 });
      expect(service).not.toHaveProperty("protection");
    });
  }

  it("is named by no probe, and leaves both credential checks inconclusive rather than 'no login exposed'", async () => {
    const scan = makeContext({ device, checkId: serviceScan.id, pace: Pace.named("fast"), facts: { "tcp.open": [{ port: mute.port }] } });
    await serviceScan.run(scan);
    const [found] = scan.facts.get("tcp.services")!;
    expect(found).toMatchObject({ port: mute.port, name: "unknown", silentMs: expect.any(Number) });

    for (const check of [defaultPasswords, bruteforceProtection]) {
      const outcome = await check.run(contextFor(check.id, [found!]));
      expect(outcome.verdict).toBe("inconclusive");
      expect(outcome.summary).toMatch(new RegExp(`port ${mute.port} accepted connections and never spoke in \\d+(\\.\\d)? s: any login there is untested`));
    }
  });
});

describe("a login that goes silent after answering wrong passwords", () => {
  let server: ReturnType<typeof createServer>;
  let port: number;
  const sockets = new Set<Socket>();
  let failures = 0;
  beforeAll(async () => {
    // Basic auth that refuses three wrong passwords, then takes connections and never answers
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (!req.headers.authorization) return void res.writeHead(401, { "www-authenticate": 'Basic realm="plug"' }).end();
      if (failures++ < 3) res.writeHead(401, { "www-authenticate": 'Basic realm="plug"' }).end();
    });
    server.on("connection", (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    sockets.forEach((s) => s.destroy());
    server.close();
  });

  it("counts as a lockout only because it answered first, and says how it went quiet", async () => {
    const outcome = await bruteforceProtection.run(contextFor(bruteforceProtection.id, [AS.http!(port)]));
    expect(outcome.verdict).toBe("pass");
    const [service] = outcome.evidence?.services as Record<string, unknown>[];
    expect(service).toMatchObject({ protection: "locks-out", answered: 3 });
    expect(service!.lockout).toMatch(new RegExp(`^after 3 wrong passwords it stopped answering: ${NEVER_SPOKE(port).source}`));
  });
});
