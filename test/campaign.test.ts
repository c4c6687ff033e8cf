// iotcert campaign: 20 simulated devices on loopback, interrupted once about half are done, then
// run again: the rerun ends with 20 complete reports and does not touch the devices that had
// finished (their report.json and run.log are byte for byte what the first run wrote).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startPlug } from "../devices/simulated/plug.js";
import { startThermostat } from "../devices/simulated/thermostat.js";
import type { SimulatedDevice } from "../devices/simulated/device.js";
import { main } from "../harness/cli/main.js";
import type { Report } from "../harness/core/report.js";
import { validateReport } from "../harness/schema/load.js";
import { capture } from "./helpers/capture.js";

const DEVICES = 20;
const tmp = mkdtempSync(join(tmpdir(), "iotcert-campaign-"));
const out = join(tmp, "out");

function reportOf(id: string): Report | undefined {
  const file = join(out, id, "report.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Report) : undefined;
}

async function campaign(files: string[], whileRunning?: () => Promise<void>) {
  const o = capture();
  const e = capture();
  const running = main(["campaign", ...files, "--out", out, "--pace", "fast", "--parallel", "4"], { out: o, err: e });
  await whileRunning?.();
  const code = await running;
  return { code, out: o.text(), err: e.text() };
}

describe("iotcert campaign", () => {
  const devices: SimulatedDevice[] = [];
  const files: string[] = [];
  const ids: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < DEVICES; i++) {
      const sim = await (i % 2 === 0 ? startPlug() : startThermostat());
      devices.push(sim);
      const id = `${sim.descriptor.id}-${String(i + 1).padStart(2, "0")}`;
      ids.push(id);
      files.push(join(tmp, `${id}.yaml`));
      writeFileSync(files.at(-1)!, stringify({ ...sim.descriptor, id }));
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.stop()));
  });

  it("interrupted halfway and run again, ends with 20 complete reports and repeats none that finished", async () => {
    const complete = () => ids.filter((id) => reportOf(id)?.complete === true);
    const first = await campaign(files, async () => {
      const deadline = Date.now() + 240_000;
      while (complete().length < DEVICES / 2 && Date.now() < deadline) await sleep(50);
      process.emit("SIGINT");
    });
    expect(first.code).toBe(3);
    const finished = complete();
    expect(finished.length).toBeGreaterThanOrEqual(DEVICES / 2);
    expect(finished.length).toBeLessThan(DEVICES);
    // What finished is kept whole: valid reports, and every view beside them
    const kept = new Map(finished.map((id) => [id, {
      json: readFileSync(join(out, id, "report.json"), "utf8"),
      log: readFileSync(join(out, id, "run.log"), "utf8"),
    }]));
    for (const id of finished) {
      expect(validateReport(reportOf(id))).toEqual([]);
      for (const f of ["report.html", "label.svg", "junit.xml", "report.sarif"]) expect(existsSync(join(out, id, f)), `${id}/${f}`).toBe(true);
    }

    const second = await campaign(files);
    expect(second.err).toBe("");
    expect(second.code).toBe(0);
    expect(second.out).toContain(`campaign: ${DEVICES}/${DEVICES} devices complete (${finished.length} from an earlier run)`);
    for (const id of ids) {
      const report = reportOf(id);
      expect(report?.complete, id).toBe(true);
      expect(validateReport(report)).toEqual([]);
    }
    for (const [id, before] of kept) {
      expect(readFileSync(join(out, id, "report.json"), "utf8"), id).toBe(before.json);
      expect(readFileSync(join(out, id, "run.log"), "utf8"), id).toBe(before.log);
      expect(second.out).toContain(`${id}: label ${reportOf(id)!.label.level.toUpperCase()} (done before, skipped)`);
    }
    // Labels follow from the devices: every plug fails 5.1-1, no thermostat does
    for (const id of ids) {
      const report = reportOf(id)!;
      expect(report.label.level === "none", id).toBe(id.startsWith("acme-plug"));
    }
    const summary = JSON.parse(readFileSync(join(out, "campaign.json"), "utf8")) as { devices: { id: string; skipped: boolean }[] };
    expect(summary.devices.filter((d) => d.skipped).map((d) => d.id).sort()).toEqual([...finished].sort());
  }, 600_000);

  it("refuses two descriptors with the same id before contacting anything", async () => {
    const r = await campaign([files[0]!, files[0]!]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("both describe device");
  });
});
