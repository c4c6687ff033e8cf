import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../reports/atomic.js";
import { escapeHtml } from "../reports/escape.js";
import { renderHtml } from "../reports/html.js";
import { renderLabel } from "../reports/label.js";
import { redactReport } from "../reports/redact.js";
import { writeReportFiles } from "../reports/write.js";
import { validateReport } from "../harness/schema/load.js";
import { HOSTILE, sampleReport } from "./helpers/sample-report.js";

// XML 1.0 forbids these; HTML parsers flag them. Neither output may contain any.
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

/** Lone surrogates do not survive a UTF-8 round trip, so a string that does has none. */
function isWellFormedUtf16(s: string): boolean {
  return Buffer.from(s, "utf8").toString("utf8") === s;
}

function checkXmlText(text: string): void {
  if (text.includes("<") || text.includes(">")) throw new Error(`raw angle bracket in text: ${text.slice(0, 60)}`);
  const bad = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(text);
  if (bad) throw new Error(`bare ampersand in: ${text.slice(Math.max(0, bad.index - 20), bad.index + 20)}`);
}

/** Throws unless xml is exactly one element whose tags nest and close, with quoted attributes and escaped text. */
function assertWellFormedXml(xml: string): void {
  const open: string[] = [];
  let roots = 0;
  let at = 0;
  while (at < xml.length) {
    const lt = xml.indexOf("<", at);
    const text = xml.slice(at, lt === -1 ? xml.length : lt);
    if (open.length === 0 && text.trim() !== "") throw new Error(`text outside the root element: ${text.slice(0, 60)}`);
    checkXmlText(text);
    if (lt === -1) break;
    const gt = xml.indexOf(">", lt);
    if (gt === -1) throw new Error("unterminated tag");
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith("/")) {
      const name = tag.slice(1).trim();
      if (open.pop() !== name) throw new Error(`</${name}> closes the wrong element`);
    } else {
      const selfClosing = tag.endsWith("/");
      const m = /^([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+="[^"<>]*")*)\s*$/.exec(selfClosing ? tag.slice(0, -1) : tag);
      if (!m) throw new Error(`malformed tag <${tag.slice(0, 80)}>`);
      checkXmlText(m[2] ?? "");
      if (open.length === 0) roots++;
      if (!selfClosing) open.push(m[1]!);
    }
    at = gt + 1;
  }
  if (open.length > 0) throw new Error(`unclosed: ${open.join(", ")}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

describe("escapeHtml", () => {
  it("escapes markup characters for HTML and XML", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });

  it("shows control characters and bidi overrides as escapes, keeping tab, newline and CR", () => {
    expect(escapeHtml("a\u0000b\u001bc\u007fd\u202ee\tf\ng\rh")).toBe("a\\x00b\\x1bc\\x7fd\\u202ee\tf\ng\rh");
  });

  it("replaces lone surrogates and keeps surrogate pairs", () => {
    expect(escapeHtml("x\ud800y\udc00z")).toBe("x\ufffdy\ufffdz");
    expect(escapeHtml("plug \u{1f50c}")).toBe("plug \u{1f50c}");
  });
});

describe("renderHtml", () => {
  const html = renderHtml(sampleReport());

  it("escapes every hostile device string", () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(html.split("</style>")).toHaveLength(2);
    expect(html).toContain("&lt;/style&gt;");
    expect(html).not.toMatch(FORBIDDEN_CHARS);
    expect(html).toContain("\\x1b[31mBusyBox v1.19.4\\x1b[0m login:");
    expect(html).toContain("bell\\x07nul\\x00");
    expect(isWellFormedUtf16(html)).toBe(true);
  });

  it("is self-contained and locked down", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<[^>]*\ssrc=|<[^>]*\shref="(?!#)|url\(|@import/i);
  });

  it("shows the label, what held it and every provision", () => {
    expect(html).toContain('<span class="label-level long">NOT CERTIFIABLE</span>');
    expect(html).toMatch(/<h2>Held by<\/h2>[\s\S]*5\.1-1[\s\S]*5\.6-1[\s\S]*<h2>Provisions<\/h2>/);
    for (const p of sampleReport().provisions) expect(html).toContain(`<code>${p.id}</code>`);
    expect(html).toContain('<span class="badge v-fail">fail</span>');
    expect(html).toContain("lighttpd/1.4.59");
    expect(html).toContain("18 probes in all");
  });

  it("lists findings by severity, critical first", () => {
    const order = ["Critical (1)", "Medium (1)", "Info (1)"].map((heading) => html.indexOf(`<h3>${heading}</h3>`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("warns when the run is incomplete, and says when it is redacted", () => {
    expect(html).not.toContain("Incomplete run");
    const incomplete = renderHtml(sampleReport({ complete: false, incompleteReason: `interrupted ${HOSTILE.script}` }));
    expect(incomplete).toContain("Incomplete run.");
    expect(incomplete).toContain("interrupted &lt;script&gt;");
    expect(renderHtml(sampleReport({ redacted: true }))).toContain("<strong>Redacted.</strong>");
  });
});

describe("renderLabel", () => {
  const svg = renderLabel(sampleReport());

  it("is a standalone, well-formed SVG document", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toMatch(/^<svg [^>]*width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
    expect(() => assertWellFormedXml(svg)).not.toThrow();
    expect(svg).not.toMatch(FORBIDDEN_CHARS);
    expect(isWellFormedUtf16(svg)).toBe(true);
  });

  it("escapes hostile strings", () => {
    expect(svg).not.toMatch(/<script/i);
    expect(svg).not.toMatch(/<img/i);
    expect(svg).toContain("Acme &lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("shows the scale with the reached level, the profile and the date", () => {
    for (const level of ["HIGH", "MEDIUM", "LOW", "NONE"]) expect(svg).toContain(`>${level}</text>`);
    expect(svg).toContain("IoT security");
    expect(svg).toContain("ETSI EN 303 645 consumer IoT baseline");
    expect(svg).toContain("Tested 2025-11-25");
    expect(svg).not.toContain("incomplete run");
  });

  it("shows a level outside the standard scale, and an incomplete run", () => {
    const gold = renderLabel(sampleReport({ label: { level: "gold", heldBy: [], reason: "all pass" }, complete: false }));
    expect(gold).toContain(">GOLD</text>");
    expect(gold).toContain("incomplete run");
    expect(() => assertWellFormedXml(gold)).not.toThrow();
  });

  it("cuts long strings with an ellipsis", () => {
    const base = sampleReport();
    const long = renderLabel(sampleReport({ device: { ...base.device, vendor: "V".repeat(300), model: "模型".repeat(100) } }));
    const shown = [...long.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? "");
    expect(Math.max(...shown.map((t) => Array.from(t).length))).toBeLessThan(40);
    expect(long.length).toBeLessThan(5000);
    expect(long).toMatch(/V+…<\/text>/);
    expect(long).toMatch(/(模型)+模?…<\/text>/);
    expect(() => assertWellFormedXml(long)).not.toThrow();
  });
});

describe("redactReport", () => {
  it("replaces secrets at any depth, keeps the rest and leaves the input alone", () => {
    const report = sampleReport();
    const before = structuredClone(report);
    const redacted = redactReport(report);
    expect(report).toEqual(before);
    expect(redacted.redacted).toBe(true);
    const [snmp, telnet] = redacted.findings;
    expect(snmp?.evidence).toEqual({ community: "[redacted]", sysDescr: `Linux ${HOSTILE.img}` });
    expect(telnet?.evidence).toMatchObject({
      username: "root",
      password: "[redacted]",
      // The password "admin" is hidden wherever it shows, its user name too
      tried: [{ username: "[redacted]", Password: "[redacted]", result: "refused" }],
      session: { API_KEY: "[redacted]", shell: `/bin/sh ${HOSTILE.style}` },
    });
    expect(JSON.stringify(redacted)).not.toMatch(/xc3511|"public"|k-123/);
    expect(redacted.surface).toEqual(report.surface);
  });
});

describe("writing", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "iotcert-reports-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the five files into a new folder and nothing else", async () => {
    const report = sampleReport({ complete: false, incompleteReason: "SIGINT" });
    const out = join(dir, "nested", "out");
    const files = await writeReportFiles(out, report);
    expect(files).toEqual({
      json: join(out, "report.json"), html: join(out, "report.html"), svg: join(out, "label.svg"),
      junit: join(out, "junit.xml"), sarif: join(out, "report.sarif"),
    });
    expect((await readdir(out)).sort()).toEqual(["junit.xml", "label.svg", "report.html", "report.json", "report.sarif"]);
    const json = await readFile(files.json, "utf8");
    expect(json.endsWith("}\n")).toBe(true);
    expect(json).toContain('\n  "schema": "iotcert/report@1"');
    expect(JSON.parse(json)).toEqual(report);
    expect(await readFile(files.html, "utf8")).toBe(renderHtml(report));
    expect(await readFile(files.svg, "utf8")).toBe(renderLabel(report));
  });

  it("redacts every file when asked", async () => {
    const files = await writeReportFiles(dir, sampleReport(), { redact: true });
    for (const path of Object.values(files)) expect(await readFile(path, "utf8")).not.toContain("xc3511");
    expect(JSON.parse(await readFile(files.json, "utf8")).redacted).toBe(true);
  });

  it("replaces an existing file atomically, leaving no temp file", async () => {
    const path = join(dir, "report.json");
    await writeFile(path, "old");
    await writeFileAtomic(path, "new");
    expect(await readFile(path, "utf8")).toBe("new");
    expect(await readdir(dir)).toEqual(["report.json"]);
  });

  it("fails without leaving a temp file when the target cannot be replaced", async () => {
    await writeFile(join(dir, "keep"), "x");
    const folderInTheWay = join(dir, "report.json");
    await writeReportFiles(folderInTheWay, sampleReport());
    await expect(writeFileAtomic(folderInTheWay, "data")).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(["keep", "report.json"]);
  });
});

describe("TLS certificates in the report", () => {
  it("shows each certificate in the surface, with device strings escaped, and stays valid", () => {
    const report = sampleReport();
    report.surface.certificates = [{
      port: 443, service: "https", subject: `CN=${HOSTILE.script}`, issuer: `CN=${HOSTILE.script}`, selfSigned: true,
      notBefore: "2026-01-01T00:00:00.000Z", notAfter: "2027-01-01T00:00:00.000Z", keyType: "ec", keyBits: 256,
      subjectAltNames: ["IP:192.0.2.10"], sha256: "ab".repeat(32), publicKeySha256: "cd".repeat(32),
    }];
    const html = renderHtml(report);
    expect(html).toContain("TLS certificates");
    expect(html).toContain("2027-01-01");
    expect(html).toContain("self-signed");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(validateReport(report)).toEqual([]);
  });
});
