// iotcert compare: the side-by-side page in a real headless Chromium (Debian's package, through
// playwright-core): every device's label renders, sorting works, hostile device strings stay
// text, and the QR code on a label decodes to that device's report URL. Plus the CSV.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsQRModule from "jsqr";
import { chromium, type Browser } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../harness/cli/main.js";
import type { Report } from "../harness/core/report.js";
import { capture } from "./helpers/capture.js";
import { HOSTILE, sampleReport } from "./helpers/sample-report.js";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const inCI = /^(true|1)$/i.test(process.env.CI ?? "");
if (!CHROMIUM && inCI) throw new Error("chromium is not installed (apt-get install chromium; .ci/run does) and CI=true: the screenshot test must run");

const tmp = mkdtempSync(join(tmpdir(), "iotcert-compare-"));
const BASE = "https://labels.consumer.example/2025/";

// Six devices: the hostile sample, and five more with other labels and vendors.
const LEVELS = ["none", "high", "low", "medium", "none", "high"];
const reports: Report[] = LEVELS.map((level, i) => sampleReport({
  device: i === 0
    ? sampleReport().device
    : { id: `unit-${i}`, vendor: ["Nordlys", "Acme", "Brightway", "Kettleco", "Zebra"][i - 1]!, model: `Model ${i}`, firmware: `1.${i}` },
  label: { level, heldBy: level === "high" ? [] : ["5.1-1"], reason: "test" },
  finishedAt: `2025-11-${String(10 + i).padStart(2, "0")}T12:00:00.000Z`,
}));
const files = reports.map((r, i) => {
  const file = join(tmp, `report-${i}.json`);
  writeFileSync(file, JSON.stringify(r));
  return file;
});
const out = join(tmp, "out");

async function iotcert(...argv: string[]) {
  const o = capture();
  const e = capture();
  const code = await main(argv, { out: o, err: e });
  return { code, out: o.text(), err: e.text() };
}

describe("iotcert compare", () => {
  beforeAll(async () => {
    const r = await iotcert("compare", ...files, "--out", out, "--report-url-base", BASE);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });

  it("writes a CSV with a row per device, a column per provision, formulas defused", () => {
    const csv = readFileSync(join(out, "compare.csv"), "utf8").split("\r\n");
    expect(csv[0]).toBe("device,vendor,model,firmware,profile,label,complete,held_by,tested,5.1-1,5.5-1,5.6-1,5.2-1");
    expect(csv).toHaveLength(reports.length + 2);
    expect(csv[2]).toBe("unit-1,Nordlys,Model 1,1.1,etsi-en-303-645,high,true,,2025-11-11T12:00:00.000Z,fail,inconclusive,fail,pass");
    expect(csv[1]).toContain(`"SmartPlug P1 ""><img src=x onerror=alert(1)> </style>"`);

    const evil = sampleReport({ device: { id: "x", vendor: "=HYPERLINK(\"http://evil\")", model: "m", firmware: "1" } });
    const file = join(tmp, "evil.json");
    writeFileSync(file, JSON.stringify(evil));
    return iotcert("compare", file, "--out", join(tmp, "evil")).then(() => {
      expect(readFileSync(join(tmp, "evil", "compare.csv"), "utf8")).toContain(`x,"'=HYPERLINK(""http://evil"")"`);
    });
  });

  it("escapes every device string in the page", () => {
    const html = readFileSync(join(out, "compare.html"), "utf8");
    expect(html).not.toContain(HOSTILE.script);
    expect(html).not.toContain("<img src=x");
    expect(html).toContain(" &lt;script&gt;alert(1)&lt;/script&gt;");
  });

  describe.skipIf(!CHROMIUM)(`in headless Chromium${CHROMIUM ? "" : " (skipped: chromium is not installed)"}`, () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox"] });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it("shows every device's label, sorts by label, and runs nothing from the devices", async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const problems: string[] = [];
      page.on("dialog", (d) => problems.push(`dialog: ${d.message()}`));
      page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
      page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
      await page.goto(`file://${join(out, "compare.html")}`);
      await page.waitForLoadState("load");

      const labels = await page.locator("img.label").evaluateAll((imgs) =>
        (imgs as HTMLImageElement[]).map((img) => ({ loaded: img.complete && img.naturalWidth > 0, width: img.getBoundingClientRect().width, alt: img.alt })));
      expect(labels).toHaveLength(reports.length);
      for (const label of labels) {
        expect(label.loaded, label.alt).toBe(true);
        expect(label.width).toBeGreaterThan(100);
      }
      await page.screenshot({ path: join(out, "compare.png"), fullPage: true });
      const shot = PNG.sync.read(readFileSync(join(out, "compare.png")));
      expect(shot.height).toBeGreaterThan(reports.length * 200);

      // Sort by label: click "Level" once (worst first), twice (best first)
      const levelsShown = () => page.locator("tbody tr td:nth-child(2)").allInnerTexts();
      await page.getByRole("columnheader", { name: "Level" }).click();
      expect((await levelsShown()).map((t) => t.trim())).toEqual(["NONE", "NONE", "LOW", "MEDIUM", "HIGH", "HIGH"]);
      await page.getByRole("columnheader", { name: "Level" }).click();
      expect((await levelsShown()).map((t) => t.trim())).toEqual(["HIGH", "HIGH", "MEDIUM", "LOW", "NONE", "NONE"]);
      // The hostile vendor is shown as text
      expect(await page.locator("tbody").innerText()).toContain(HOSTILE.script);
      expect(problems).toEqual([]);
      await page.close();
    });

    it("the QR code on a label opens that device's report", async () => {
      const page = await browser.newPage({ viewport: { width: 400, height: 900 }, deviceScaleFactor: 2 });
      const svg = readFileSync(join(out, "labels", "2.svg"));
      await page.setContent(`<img id="label" src="data:image/svg+xml;base64,${svg.toString("base64")}">`);
      await page.locator("#label").evaluate((img: HTMLImageElement) => img.decode());
      const png = PNG.sync.read(await page.locator("#label").screenshot());
      const code = jsQRModule.default(new Uint8ClampedArray(png.data), png.width, png.height);
      expect(code?.data).toBe(`${BASE}unit-1/report.html`);
      await page.close();
    });
  });
});
