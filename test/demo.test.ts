import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../harness/cli/main.js";
import type { Report } from "../harness/core/report.js";
import { validateReport } from "../harness/schema/load.js";
import { capture } from "./helpers/capture.js";

describe("iotcert demo", () => {
  it("certifies both simulated devices: the plug gets none because of 5.1-1, the thermostat a label", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iotcert-demo-"));
    const out = capture();
    const err = capture();
    const code = await main(["demo", "--out", dir], { out, err });
    expect(err.text()).toBe("");
    expect(code).toBe(0);

    const reports: Record<string, Report> = {};
    for (const id of ["acme-plug-sim", "nordlys-t2-sim"]) {
      for (const f of ["report.json", "report.html", "label.svg", "run.log"]) expect(existsSync(join(dir, id, f)), `${id}/${f}`).toBe(true);
      reports[id] = JSON.parse(readFileSync(join(dir, id, "report.json"), "utf8")) as Report;
      expect(validateReport(reports[id])).toEqual([]);
    }
    const plug = reports["acme-plug-sim"]!;
    const thermostat = reports["nordlys-t2-sim"]!;
    expect(plug.label.level).toBe("none");
    expect(plug.label.heldBy).toContain("5.1-1");
    expect(plug.findings.some((f) => f.check === "credentials.default-passwords" && f.severity === "critical")).toBe(true);
    expect(plug.findings.some((f) => f.check === "surface.undeclared-ports")).toBe(true);
    expect(thermostat.label.level).not.toBe("none");
    expect(thermostat.complete && plug.complete).toBe(true);

    const printed = out.text();
    expect(printed).toContain("label NONE");
    expect(printed).toContain(`label ${thermostat.label.level.toUpperCase()}`);
    expect(printed).toContain(join(dir, "acme-plug-sim", "report.html"));
  });
});
