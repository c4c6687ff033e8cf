import { createServer, type Server } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Evidence, ProbeLedger } from "../harness/core/evidence.js";
import { TransportError } from "../harness/core/errors.js";
import { Pace } from "../harness/core/pace.js";
import { planRun } from "../harness/core/plan.js";
import { Registry } from "../harness/core/registry.js";
import { certify } from "../harness/core/run.js";
import { Scope } from "../harness/core/scope.js";
import type { Check } from "../harness/core/types.js";
import type { Descriptor, Profile } from "../harness/schema/types.js";
import { connectTcp } from "../harness/transports/tcp.js";

const silent = pino({ level: "silent" });
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(host: string): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((sock) => {
    n++;
    sock.end();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return { port: address.port, connections: () => n };
}

const device: Descriptor = { id: "d1", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1", tcpPorts: [1] } };

function check(id: string, body: Partial<Check> = {}): Check {
  return {
    id, title: id, description: id, effect: "observe", needs: ["ip"], plan: () => [],
    run: async () => ({ verdict: "pass", summary: "ok" }),
    ...body,
  };
}

function profileOf(...ids: string[]): Profile {
  return { id: "t", title: "t", levels: ["low"], provisions: ids.map((id, i) => ({ id: `P${i}`, title: id, level: "low", checks: [id] })) };
}

function run(checks: Check[], profile: Profile, extra: { signal?: AbortSignal; only?: string[]; device?: Descriptor } = {}) {
  return certify({
    device: extra.device ?? device, profile, registry: new Registry(checks),
    pace: Pace.named("fast", { heartbeatBackoffMs: [20] }),
    options: { allowFragile: false, stateChanging: false }, log: silent,
    signal: extra.signal ?? new AbortController().signal, version: "test",
    ...(extra.only ? { only: extra.only } : {}),
  });
}

describe("scope guard", () => {
  it("refuses an address the descriptor did not name, before any packet is sent", async () => {
    const target = await listen("127.0.0.1");
    const ledger = new ProbeLedger();
    const link = {
      scope: Scope.fromDescriptor({ ...device, network: { address: "127.0.0.2" } }),
      pace: Pace.named("fast"), signal: new AbortController().signal,
      evidence: new Evidence("test", ledger), options: { allowFragile: false, stateChanging: false },
    };
    const attempt = connectTcp(link, "127.0.0.1", target.port, 1000);
    await expect(attempt).rejects.toBeInstanceOf(TransportError);
    await expect(attempt).rejects.toMatchObject({ kind: "out-of-scope" });
    await sleep(50);
    expect(target.connections()).toBe(0);
    expect(ledger.all()).toEqual([]);
  });

  it("admits the descriptor's address and the hosts of its declared URLs only", () => {
    const scope = Scope.fromDescriptor({
      ...device,
      mqtt: { url: "mqtts://broker.acme.example:8883" },
      declared: { vulnerabilityDisclosureUrl: "https://acme.example/.well-known/security.txt" },
    });
    expect(scope.allows("127.0.0.1")).toBe(true);
    expect(scope.allows("broker.acme.example")).toBe(true);
    expect(scope.allows("acme.example")).toBe(true);
    expect(scope.allows("127.0.0.2")).toBe(false);
    expect(scope.allows("evil.example")).toBe(false);
  });
});

describe("plan", () => {
  const producer = check("a.produce", { produces: ["tcp.open"] });
  const consumer = check("b.consume", { consumes: ["tcp.open"] });
  const other = check("c.other");

  it("orders checks after the producers of the facts they consume", () => {
    const plan = planRun(profileOf("b.consume", "a.produce"), new Registry([producer, consumer]));
    expect(plan.checks.map((c) => c.id)).toEqual(["a.produce", "b.consume"]);
  });

  it("--only keeps the producers the selected checks need", () => {
    const plan = planRun(profileOf("b.consume", "c.other"), new Registry([producer, consumer, other]), ["b.*"]);
    expect(plan.checks.map((c) => c.id)).toEqual(["a.produce", "b.consume"]);
  });

  it("--only can pick a producer the profile pulls in without naming it", () => {
    const plan = planRun(profileOf("b.consume"), new Registry([producer, consumer]), ["a.produce"]);
    expect(plan.checks.map((c) => c.id)).toEqual(["a.produce"]);
  });

  it("a profile naming an unknown check is refused", () => {
    expect(() => planRun(profileOf("x.missing"), new Registry([other]))).toThrow(/x\.missing/);
  });
});

describe("run loop", () => {
  it("a check that throws gets verdict error and the run goes on", async () => {
    const report = await run([check("a.boom", { run: async () => { throw new Error("kaput"); } }), check("b.fine")], profileOf("a.boom", "b.fine"));
    expect(report.checks.find((c) => c.id === "a.boom")).toMatchObject({ verdict: "error", summary: expect.stringContaining("kaput") });
    expect(report.checks.find((c) => c.id === "b.fine")?.verdict).toBe("pass");
    expect(report.complete).toBe(true);
  });

  it("a check over its time limit is inconclusive, even if it ignores its signal", async () => {
    const stuck = check("a.stuck", { timeoutMs: 100, run: () => new Promise(() => {}) });
    const report = await run([stuck], profileOf("a.stuck"));
    expect(report.checks[0]).toMatchObject({ verdict: "inconclusive", summary: expect.stringContaining("time limit") });
  });

  it("a check whose transport the device lacks is not-applicable without running", async () => {
    let ran = false;
    const ble = check("a.ble", { needs: ["ble"], run: async () => { ran = true; return { verdict: "pass", summary: "" }; } });
    const report = await run([ble], profileOf("a.ble"));
    expect(report.checks[0]?.verdict).toBe("not-applicable");
    expect(ran).toBe(false);
  });

  it("state-changing checks do not run unless asked", async () => {
    let ran = false;
    const risky = check("a.risky", { effect: "state-changing", run: async () => { ran = true; return { verdict: "pass", summary: "" }; } });
    const report = await run([risky], profileOf("a.risky"));
    expect(report.checks[0]?.verdict).toBe("inconclusive");
    expect(ran).toBe(false);
  });

  it("an interrupted run returns what it has, marked incomplete", async () => {
    const controller = new AbortController();
    const slow = check("a.slow", { produces: ["tcp.open"], run: (ctx) => sleep(10_000, undefined, { signal: ctx.signal }).then(() => ({ verdict: "pass" as const, summary: "" })) });
    const pending = run([check("0.first"), slow, check("z.later", { consumes: ["tcp.open"] })], profileOf("0.first", "a.slow", "z.later"), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("interrupted by the user (Ctrl-C)")), 100);
    const report = await pending;
    expect(report.complete).toBe(false);
    expect(report.incompleteReason).toContain("Ctrl-C");
    expect(report.checks.map((c) => c.verdict)).toEqual(["pass", "inconclusive", "inconclusive"]);
    expect(report.label.level).toBe("none");
  });

  it("findings carry the id of the check that made them", async () => {
    const finder = check("a.find", { run: async () => ({ verdict: "fail", summary: "bad", findings: [{ severity: "high", title: "found it" }] }) });
    const report = await run([finder], profileOf("a.find"));
    expect(report.findings).toEqual([{ check: "a.find", severity: "high", title: "found it" }]);
    expect(report.label).toMatchObject({ level: "none", heldBy: ["P0"] });
  });
});
