// junit.xml and report.sarif, the views of a report that CI servers read: SARIF valid against the
// SARIF 2.1.0 schema with one result per finding, JUnit well-formed XML with one test case per
// provision, both keeping a hostile device's strings as text.
import { readFileSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv04Module from "ajv-draft-04";
import addFormatsModule from "ajv-formats";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { renderJunit } from "../reports/junit.js";
import { renderSarif } from "../reports/sarif.js";
import { writeReportFiles } from "../reports/write.js";
import { HOSTILE, sampleReport } from "./helpers/sample-report.js";

const SARIF_SCHEMA = JSON.parse(readFileSync("test/fixtures/sarif/sarif-2.1.0-rtm.5.json", "utf8")) as object;

function sarifValidator() {
  // The schema has a pattern that is only valid without the u flag ("]?" in the language tag).
  const ajv = new Ajv04Module.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormatsModule.default(ajv);
  return ajv.compile(SARIF_SCHEMA);
}

interface SarifLog {
  version: string;
  runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string; message: { text: string }; locations: unknown[] }[] }[];
}

describe("report.sarif", () => {
  const validate = sarifValidator();

  it("is valid SARIF 2.1.0 with one result per finding, levels from severities", () => {
    const report = sampleReport();
    const sarif = JSON.parse(renderSarif(report)) as SarifLog;
    expect(validate(sarif), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const run = sarif.runs[0]!;
    expect(run.results).toHaveLength(report.findings.length);
    expect(run.results.map((r) => [r.ruleId, r.level])).toEqual([
      ["surface.udp-services", "warning"],
      ["credentials.default-passwords", "error"],
      ["surface.tcp-ports", "note"],
    ]);
    // Every result's rule is declared, and device strings stay text
    const ruleIds = run.tool.driver.rules.map((r) => r.id);
    for (const r of run.results) expect(ruleIds).toContain(r.ruleId);
    expect(run.results[1]!.message.text).toContain(HOSTILE.script);
  });

  it("the schema really is checked: a log with the wrong version or a result without a message fails", () => {
    const sarif = JSON.parse(renderSarif(sampleReport())) as { version: string; runs: { results: Record<string, unknown>[] }[] };
    expect(validate({ ...sarif, version: "2.0.0" })).toBe(false);
    delete sarif.runs[0]!.results[0]!.message;
    expect(validate(sarif)).toBe(false);
  });

  it("is valid with no findings at all", () => {
    const sarif = JSON.parse(renderSarif(sampleReport({ findings: [] }))) as SarifLog;
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(sarif.runs[0]!.results).toEqual([]);
  });
});

interface Testcase {
  "@_name": string;
  "@_classname": string;
  failure?: { "@_message": string; "#text"?: string };
  error?: { "@_message": string };
  skipped?: unknown;
}

describe("junit.xml", () => {
  it("is well-formed XML with one test case per provision, failures and errors counted", () => {
    const report = sampleReport();
    const xml = renderJunit(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === "testcase" || name === "property" }).parse(xml) as {
      testsuites: { "@_tests": string; "@_failures": string; "@_errors": string; testsuite: { testcase: Testcase[]; properties: { property: { "@_name": string; "@_value": string }[] } } };
    };
    const suite = doc.testsuites.testsuite;
    expect(suite.testcase.map((t) => t["@_name"])).toEqual(report.provisions.map((p) => `${p.id} ${p.title}`));
    expect(doc.testsuites["@_tests"]).toBe(String(report.provisions.length));
    expect(doc.testsuites["@_failures"]).toBe("2");
    expect(doc.testsuites["@_errors"]).toBe("1");
    const [defaultPasswords, communicate, ports, disclosure] = suite.testcase;
    expect(defaultPasswords!.failure?.["@_message"]).toBe("credentials.default-passwords failed");
    // The failure lists the findings of the provision's checks, hostile text kept as text
    expect(defaultPasswords!.failure?.["#text"]).toContain(`[critical] credentials.default-passwords: telnet accepts a default password ${HOSTILE.script}`);
    expect(communicate!.error?.["@_message"]).toBe("mqtt.anonymous could not reach the broker");
    expect(ports!.failure).toBeDefined();
    expect(disclosure!.failure ?? disclosure!.error ?? disclosure!.skipped).toBeUndefined();
    const device = suite.properties.property.find((p) => p["@_name"] === "device")!;
    expect(device["@_value"]).toContain(HOSTILE.script);
  });
});

describe("the output folder", () => {
  it("holds junit.xml and report.sarif beside report.json, redacted like it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "iotcert-formats-"));
    const files = await writeReportFiles(dir, sampleReport(), { redact: true });
    expect(files.junit).toBe(join(dir, "junit.xml"));
    expect(files.sarif).toBe(join(dir, "report.sarif"));
    const sarif = await readFile(files.sarif, "utf8");
    expect(sarifValidator()(JSON.parse(sarif))).toBe(true);
    expect(XMLValidator.validate(await readFile(files.junit, "utf8"))).toBe(true);
    for (const f of [files.junit, files.sarif]) expect(await readFile(f, "utf8")).not.toContain("xc3511");
  });
});
