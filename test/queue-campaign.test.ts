// Distributed campaigns (iotcert campaign --queue, iotcert worker) on a real redis-server: two lab
// networks in network namespaces iotq-a and iotq-b, four simulated devices in each, one worker
// per lab inside its namespace (it can reach its lab only). Each device is certified by its own
// lab's worker with the verdicts a local campaign gives; a worker killed with SIGKILL mid-device
// leaves that device "incomplete: worker lost" with no second probe set at the device, until
// --retry-incomplete; a rerun skips what finished; Redis stopped mid-campaign ends it with exit 3
// and keeps every finished report.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../harness/cli/main.js";
import type { Report } from "../harness/core/report.js";
import { validateReport } from "../harness/schema/load.js";
import { capture } from "./helpers/capture.js";
import { CLI, createLabNet, removeLabNet, requireQueueLab, startIn, startRedis, type LabNet, type LabProcess, type RedisServer } from "./helpers/queue-lab.js";

const lab = requireQueueLab();
const PER_LAB = 4;
const LABS = ["lab-a", "lab-b"] as const;
const NS = { "lab-a": "iotq-a", "lab-b": "iotq-b" } as const;
/** The device processes write their connection counts every 100 ms. */
const COUNTS_SETTLE_MS = 400;
const REDIS_PORT = 16_379 + (process.pid % 1000);
const tmp = mkdtempSync(join(tmpdir(), "iotcert-queue-"));
const descriptors = join(tmp, "devices");

function reportOf(out: string, id: string): Report | undefined {
  const file = join(out, id, "report.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Report) : undefined;
}

/**
 * Every check's verdict but credentials.bruteforce-protection's: that one times failed logins, and
 * on a loaded machine the thermostat's TLS handshakes alone pass its 800 ms "delays failures" mark,
 * so its verdict follows the machine's load, not where the run was started.
 */
function verdicts(report: Report | undefined): Record<string, string> {
  return Object.fromEntries((report?.checks ?? []).filter((c) => c.id !== "credentials.bruteforce-protection").map((c) => [c.id, c.verdict]));
}

function connections(): Record<string, number> {
  return Object.assign({}, ...LABS.map((l) => JSON.parse(readFileSync(join(descriptors, `${l}-connections.json`), "utf8")) as Record<string, number>));
}

async function campaign(out: string, extra: string[] = [], whileRunning?: () => Promise<void>) {
  const o = capture();
  const e = capture();
  const files = readdirSync(descriptors).filter((f) => f.endsWith(".yaml")).sort().map((f) => join(descriptors, f));
  const running = main(["campaign", ...files, "--out", out, "--pace", "fast", ...extra], { out: o, err: e });
  await whileRunning?.();
  const code = await running;
  return { code, out: o.text(), err: e.text() };
}

describe.skipIf(lab.skip)("iotcert campaign --queue with a worker in each of two lab networks", () => {
  const nets = new Map<string, LabNet>();
  const labs = new Map<string, LabProcess>();
  const workers = new Map<string, LabProcess>();
  let redis: RedisServer;
  let ids: string[] = [];
  const queueOf = (l: string) => `redis://${nets.get(l)!.harness}:${REDIS_PORT}`;
  const startWorker = async (l: string, name: string) => {
    const w = startIn(NS[l as keyof typeof NS], [CLI, "worker", "--queue", queueOf(l), "--lab", l, "--concurrency", "2", "--name", name]);
    await w.waitFor(`worker ${name}: lab ${l}`);
    workers.set(name, w);
    return w;
  };
  const local = join(tmp, "local");

  beforeAll(async () => {
    rmSync(descriptors, { recursive: true, force: true });
    (await import("node:fs")).mkdirSync(descriptors, { recursive: true });
    LABS.forEach((l, i) => nets.set(l, createLabNet(NS[l], 201 + i)));
    redis = await startRedis(["127.0.0.1", ...[...nets.values()].map((n) => n.harness)], REDIS_PORT, tmp);
    await Promise.all(LABS.map(async (l) => {
      const p = startIn(NS[l], [join(CLI, "..", "simulated-lab.ts"), nets.get(l)!.address, String(PER_LAB), l, descriptors]);
      labs.set(l, p);
      await p.waitFor("ready");
    }));
    await Promise.all(LABS.map((l) => startWorker(l, `worker-${l}`)));
    ids = Object.keys(connections()).sort();
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...workers.values(), ...labs.values()].map((p) => p.stop()));
    await redis?.stop();
    for (const l of LABS) removeLabNet(NS[l]);
  });

  it("certifies each device with its own lab's worker, with the verdicts of a local campaign", async () => {
    // The labs do not reach each other: a worker in lab-a cannot reach lab-b's devices
    const local8 = await campaign(local, ["--parallel", "4"]);
    expect(local8.code, local8.err).toBe(0);

    const out = join(tmp, "queued");
    const before = connections();
    const r = await campaign(out, ["--queue", `redis://127.0.0.1:${REDIS_PORT}`]);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toContain(`campaign: ${ids.length}/${ids.length} devices complete (0 from an earlier run)`);
    await sleep(COUNTS_SETTLE_MS);
    const after = connections();
    for (const id of ids) {
      const report = reportOf(out, id);
      expect(validateReport(report), id).toEqual([]);
      expect(report!.complete, id).toBe(true);
      expect(verdicts(report), id).toEqual(verdicts(reportOf(local, id)));
      expect(report!.label.level, id).toBe(reportOf(local, id)!.label.level);
      expect(after[id]! - before[id]!, `${id} was probed`).toBeGreaterThan(0);
      // Its own lab's worker ran it, and the other lab's never did
      const [mine, other] = id.startsWith("lab-a") ? ["worker-lab-a", "worker-lab-b"] : ["worker-lab-b", "worker-lab-a"];
      expect(workers.get(mine)!.output()).toContain(`${id}: started`);
      expect(workers.get(other)!.output()).not.toContain(`${id}: started`);
    }
    const summary = JSON.parse(readFileSync(join(out, "campaign.json"), "utf8")) as { devices: { id: string; complete: boolean }[] };
    expect(summary.devices.map((d) => d.id).sort()).toEqual(ids);

    // A rerun skips every device and contacts none
    const again = await campaign(out, ["--queue", `redis://127.0.0.1:${REDIS_PORT}`]);
    expect(again.code).toBe(0);
    expect(again.out).toContain(`(${ids.length} from an earlier run)`);
    await sleep(COUNTS_SETTLE_MS);
    expect(connections()).toEqual(after);
  }, 180_000);

  it("a worker killed mid-device leaves it 'worker lost', never run a second time until --retry-incomplete", async () => {
    const out = join(tmp, "killed");
    const queue = ["--queue", `redis://127.0.0.1:${REDIS_PORT}`];
    const before = connections();
    const labA = ids.filter((id) => id.startsWith("lab-a"));
    let atKill: Record<string, number> = {};
    const r = await campaign(out, queue, async () => {
      const deadline = Date.now() + 60_000;
      const w = workers.get("worker-lab-a")!;
      while (!labA.some((id) => w.output().includes(`${id}: started`) && connections()[id]! > before[id]!) && Date.now() < deadline) await sleep(20);
      await w.stop("SIGKILL");
      await sleep(COUNTS_SETTLE_MS);
      atKill = connections();
      // The lab's replacement takes its waiting devices; the lost ones stay lost
      await startWorker("lab-a", "worker-lab-a2");
    });
    const lost = labA.filter((id) => r.out.includes(`${id}: incomplete: worker lost (worker worker-lab-a stopped answering mid-device`));
    expect(lost.length, r.out).toBeGreaterThan(0);
    expect(r.code).toBe(3);
    for (const id of lost) {
      expect(reportOf(out, id)?.complete, id).not.toBe(true);
      expect(workers.get("worker-lab-a2")!.output()).not.toContain(`${id}: started`);
    }
    for (const id of ids.filter((i) => !lost.includes(i))) expect(reportOf(out, id)?.complete, id).toBe(true);
    await sleep(500);
    for (const id of lost) expect(connections()[id], `${id} probed again`).toBe(atKill[id]);

    // A rerun leaves the lost ones alone and contacts nothing
    const rerun = await campaign(out, queue);
    expect(rerun.code).toBe(3);
    for (const id of lost) expect(rerun.out).toContain(`${id}: incomplete: worker lost in an earlier run (worker worker-lab-a)`);
    for (const id of lost) expect(connections()[id]).toBe(atKill[id]);

    // --retry-incomplete runs exactly those, once
    const retry = await campaign(out, [...queue, "--retry-incomplete"]);
    expect(retry.code, retry.out + retry.err).toBe(0);
    expect(retry.out).toContain(`campaign: ${ids.length}/${ids.length} devices complete (${ids.length - lost.length} from an earlier run)`);
    for (const id of lost) {
      expect(reportOf(out, id)?.complete, id).toBe(true);
      expect(verdicts(reportOf(out, id)), id).toEqual(verdicts(reportOf(local, id)));
    }
  }, 180_000);

  it("Redis stopped mid-campaign: exit 3 with a clear line, every finished report kept, and a rerun completes", async () => {
    const out = join(tmp, "redis-stopped");
    const queue = ["--queue", `redis://127.0.0.1:${REDIS_PORT}`];
    let finished: string[] = [];
    const r = await campaign(out, queue, async () => {
      const deadline = Date.now() + 60_000;
      while (!ids.some((id) => reportOf(out, id)?.complete) && Date.now() < deadline) await sleep(20);
      await redis.stop();
    });
    expect(r.code, r.out + r.err).toBe(3);
    expect(r.err).toMatch(new RegExp(`Redis at redis://127\\.0\\.0\\.1:${REDIS_PORT}/? stopped answering: .*the campaign stops here`));
    finished = ids.filter((id) => reportOf(out, id)?.complete);
    expect(finished.length).toBeGreaterThan(0);
    for (const id of finished) expect(validateReport(reportOf(out, id)), id).toEqual([]);
    const summary = JSON.parse(readFileSync(join(out, "campaign.json"), "utf8")) as { devices: { id: string; complete: boolean }[] };
    expect(summary.devices.filter((d) => d.complete).length).toBeGreaterThan(0);

    // Devices under way when Redis went still finish into DIR; this Redis keeps nothing on disk,
    // so the rerun waits for them rather than queue them a second time
    const started = ids.filter((id) => [...workers.values()].some((w) => w.output().includes(`${id}: started (campaign redis-stopped`)));
    const deadline = Date.now() + 60_000;
    while (started.some((id) => !reportOf(out, id)?.complete) && Date.now() < deadline) await sleep(100);
    // Redis back (empty: it kept nothing), the workers reconnect, and the rerun finishes the rest
    await redis.start();
    const kept = new Map(finished.map((id) => [id, readFileSync(join(out, id, "report.json"), "utf8")]));
    const rerun = await campaign(out, queue);
    expect(rerun.code, rerun.out + rerun.err).toBe(0);
    for (const id of ids) expect(reportOf(out, id)?.complete, id).toBe(true);
    for (const [id, json] of kept) expect(readFileSync(join(out, id, "report.json"), "utf8"), id).toBe(json);
  }, 180_000);

  it("Redis down from the start: a clear error and exit 3, nothing written", async () => {
    const r = await campaign(join(tmp, "no-redis"), ["--queue", "redis://127.0.0.1:1"]);
    expect(r.code).toBe(3);
    expect(r.err).toContain("Redis at redis://127.0.0.1:1");
    expect(r.err).toContain("unreachable");
  });
});
