// A scan of the harness's own host must not take the scanner's own sockets for open ports. In a
// namespace of its own whose ephemeral range is one port P, a connect to 127.0.0.1:P meets itself
// (TCP simultaneous open); the fixture shows that a plain socket does connect there, then asks the
// sweeps, connectTcp, the heartbeat and a whole run (test/fixtures/netns/self-connect.ts).
import { describe, expect, it } from "vitest";
import { inOwnNamespace, ownNamespace } from "./helpers/own-namespace.js";

const FIXTURE = "test/fixtures/netns/self-connect.ts";
const LISTEN = [40005, 40012];

interface Swept { port: number; open: number[]; self?: string }
interface Seen {
  listening: number[];
  plain: { connected: boolean; local?: number; remote?: number };
  mainThread: Swept;
  workers: Swept;
  connectTcp: string;
  heartbeatAlive: boolean;
  run?: { tcp: number[]; heartbeatFindings: string[]; checks: { id: string; verdict: string; summary: string }[] };
}

const seen = async (listen: number[]): Promise<Seen> =>
  JSON.parse(await inOwnNamespace(FIXTURE, { FIRST_SELF_PORT: "40000", LISTEN: listen.join(",") }, 60_000)) as Seen;

const [title, skip] = ownNamespace("TCP self-connect on the harness's own host");
describe.skipIf(skip)(title, () => {
  it("reports open only the ports that listeners hold, with sockets meeting themselves in this thread and in a worker", async () => {
    const s = await seen(LISTEN);
    // The phenomenon is there: a plain socket to P connects, to itself
    expect(s.plain).toEqual({ connected: true, local: 40000, remote: 40000 });
    expect(s.listening).toEqual(LISTEN);
    for (const sweep of [s.mainThread, s.workers]) {
      expect(sweep.open).toEqual(s.listening);
      expect(sweep.self).toBe("closed");
    }
    expect(s.connectTcp).toBe("refused");
    expect(s.heartbeatAlive).toBe(false);
  });

  it("finds nothing open in an empty namespace, and no device that stopped answering", async () => {
    const s = await seen([]);
    expect(s.plain.connected).toBe(true);
    expect(s.listening).toEqual([]);
    expect(s.mainThread.open).toEqual([]);
    expect(s.workers.open).toEqual([]);
    expect(s.run!.tcp).toEqual([]);
    expect(s.run!.heartbeatFindings).toEqual([]);
    expect(s.run!.checks.find((c) => c.id === "surface.tcp-ports")).toMatchObject({ verdict: "inconclusive", summary: expect.stringContaining("0 open of 9 scanned") });
  });
});
