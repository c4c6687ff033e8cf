// bench/queue-campaign: 100 simulated devices on loopback, certified once by a local campaign
// (--parallel 4) and once through the queue (a redis-server of its own, 2 workers x concurrency 2
// on this machine, each in its own process). Prints both wall times, their ratio (queued / local),
// and the coordinator's overhead per job: its CPU time (enqueue, progress, collecting each report
// from DIR) divided by the jobs, so that the harness is seen not to be the bottleneck. Needs
// redis-server; no root.
//
//   npx tsx bench/queue-campaign.ts [--devices N]
import { mkdtempSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../harness/cli/main.js";
import { CLI, startIn, startRedis } from "../test/helpers/queue-lab.js";

const devicesArg = process.argv.indexOf("--devices");
const DEVICES = devicesArg > 0 ? Number(process.argv[devicesArg + 1]) : 100;
const PORT = 17_379;
const tmp = mkdtempSync(join(tmpdir(), "iotcert-bench-queue-"));
const descriptors = join(tmp, "devices");
mkdirSync(descriptors);
const silent = { write: () => true } as unknown as NodeJS.WritableStream;

const redis = await startRedis(["127.0.0.1"], PORT, tmp);
const lab = startIn(undefined, [join(CLI, "..", "simulated-lab.ts"), "127.0.0.1", String(DEVICES), "bench", descriptors]);
await lab.waitFor("ready", 300_000);
const files = readdirSync(descriptors).filter((f) => f.endsWith(".yaml")).map((f) => join(descriptors, f));

async function timed(args: string[]): Promise<{ seconds: number; code: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const code = await main(["campaign", ...files, "--pace", "fast", ...args], { out: silent, err: silent });
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - start) / 1000, code, cpuMs: (used.user + used.system) / 1000 };
}

try {
  const local = await timed(["--out", join(tmp, "local"), "--parallel", "4"]);
  const workers = await Promise.all(["w1", "w2"].map(async (name) => {
    const w = startIn(undefined, [CLI, "worker", "--queue", `redis://127.0.0.1:${PORT}`, "--lab", "bench", "--concurrency", "2", "--name", name]);
    await w.waitFor(`worker ${name}: lab bench`);
    return w;
  }));
  const queued = await timed(["--out", join(tmp, "queued"), "--queue", `redis://127.0.0.1:${PORT}`]);
  await Promise.all(workers.map((w) => w.stop()));
  process.stdout.write(`${DEVICES} devices, pace fast
local campaign --parallel 4:          ${local.seconds.toFixed(1)} s (exit ${local.code})
queued, 2 workers x concurrency 2:    ${queued.seconds.toFixed(1)} s (exit ${queued.code})
ratio queued / local:                 ${(queued.seconds / local.seconds).toFixed(2)}
coordinator overhead per job:         ${(queued.cpuMs / DEVICES).toFixed(1)} ms CPU
`);
} finally {
  await lab.stop();
  await redis.stop();
}
