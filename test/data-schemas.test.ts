// The knowledge under harness/data against its schemas (harness/schema/data) and rules: every
// shipped file is valid, none is without a schema, and a broken copy is refused at the line and
// column of the mistake with a message that says what to write instead.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { Writable } from "node:stream";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { validateCommand } from "../harness/cli/validate.js";
import { packagePath } from "../harness/core/paths.js";
import { dataFileOf, shippedDataFiles, validateDataFile } from "../harness/schema/data-files.js";
import { formatIssue } from "../harness/schema/load.js";

const DATA = packagePath("harness", "data");
const dir = mkdtempSync(join(tmpdir(), "iotcert-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of harness/data/<name> with `from` replaced by `to`, and where `to` starts in it. */
function brokenCopy(name: string, from: string, to: string): { file: string; line: number; col: number } {
  const text = readFileSync(join(DATA, name), "utf8");
  expect(text, `${name} no longer contains ${JSON.stringify(from)}`).toContain(from);
  const at = text.indexOf(from);
  const before = text.slice(0, at).split("\n");
  const file = join(dir, basename(name));
  writeFileSync(file, text.slice(0, at) + to + text.slice(at + from.length));
  return { file, line: before.length, col: before.at(-1)!.length + 1 };
}

async function problems(file: string): Promise<string[]> {
  const what = dataFileOf(file);
  expect(what, `${file} is not recognised as a data file`).toBeDefined();
  return (await validateDataFile(file, what!)).map(formatIssue);
}

describe("the shipped data files", () => {
  const files = shippedDataFiles();

  it("each have a schema, or are a credential list", () => {
    expect(files.length).toBeGreaterThan(18);
    const unknown = files.filter((f) => f.what === undefined).map((f) => relative(DATA, f.file));
    expect(unknown, "data files without a schema: add harness/schema/data/<name>.schema.json").toEqual([]);
    // A schema whose data file is gone would check nothing
    const yaml = new Set(files.filter((f) => f.what?.kind === "yaml").map((f) => basename(f.file, ".yaml")));
    const schemas = readdirSync(packagePath("harness", "schema", "data")).map((f) => basename(f, ".schema.json"));
    expect(schemas.filter((s) => !yaml.has(s))).toEqual([]);
  });

  it("a file added without a schema is reported", () => {
    const copy = join(dir, "data-copy");
    cpSync(DATA, copy, { recursive: true });
    writeFileSync(join(copy, "web-form-logins.yaml"), "forms: []\n");
    const unknown = shippedDataFiles(copy).filter((f) => f.what === undefined).map((f) => basename(f.file));
    expect(unknown).toEqual(["web-form-logins.yaml"]);
  });

  it.each(files.filter((f) => f.what).map((f) => [relative(DATA, f.file), f] as const))("%s is valid", async (_name, { file, what }) => {
    expect((await validateDataFile(file, what!)).map(formatIssue)).toEqual([]);
  });

  it.each(readdirSync(packagePath("harness", "schema", "data")))("%s is a valid JSON Schema 2020-12", (name) => {
    const schema = JSON.parse(readFileSync(packagePath("harness", "schema", "data", name), "utf8")) as object;
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
  });
});

describe("a broken copy is refused where the mistake is", () => {
  it("a misspelt key, with the key it meant", async () => {
    const at = brokenCopy("fragile-ports.yaml", 'range: "515"', 'rnage: "515"');
    expect(await problems(at.file)).toEqual([
      `${at.file}:${at.line}:${at.col - 2}: ports[1]: missing required key "range"`,
      `${at.file}:${at.line}:${at.col}: ports[1].rnage: unknown key "rnage" (expected one of: range, why); did you mean "range"?`,
    ]);
  });

  it("a severity that does not exist", async () => {
    const at = brokenCopy("tls-weak-ciphers.yaml", "severity: medium", "severity: moderate");
    expect(await problems(at.file)).toEqual([
      `${at.file}:${at.line}:${at.col + "severity: ".length}: families[5].severity: "moderate" is not allowed (expected one of: critical, high, medium, low, info)`,
    ]);
  });

  it("a regular expression that does not compile", async () => {
    const at = brokenCopy("coap-sensitive-resources.yaml", "regex: '(?:^|[/._-])(?:config|", "regex: '(?:^|[/._-])(?:config|(?<x");
    expect(await problems(at.file)).toEqual([
      `${at.file}:${at.line}:${at.col + "regex: ".length}: resources[2].regex: expected a JavaScript regular expression that compiles: Invalid capture group name`,
    ]);
  });

  it("a pattern flag that changes what the pattern means, and a payload that is no hex", async () => {
    const flags = brokenCopy("udp-probes.yaml", 'flags: "i"', 'flags: "iu"');
    const text = readFileSync(flags.file, "utf8");
    writeFileSync(flags.file, text.replace('payload: "0001696f', 'payload: "001696f'));
    const payloadLine = text.split("\n").findIndex((l) => l.includes('payload: "0001696f')) + 1;
    expect(await problems(flags.file)).toEqual([
      `${flags.file}:${flags.line}:${flags.col + "flags: ".length}: probes[3].product.flags: expected flags among d, g, i, m, s, y, each at most once (like "i"), got "iu"`,
      `${flags.file}:${payloadLine}:14: probes[7].payload: expected hex digits in pairs (whitespace allowed between them), got "001696f74636572742d70726f62652d6e6f2d737563682d66696c6500..."`,
    ]);
  });

  it("a capture group the regex does not have, and an evidence key --redact does not know", async () => {
    const group = brokenCopy("boot-log-secrets.yaml", "key: apiKey", "key: awsKey");
    const text = readFileSync(group.file, "utf8");
    const jwt = text.indexOf("id: jwt");
    writeFileSync(group.file, text.slice(0, jwt) + text.slice(jwt).replace("group: 0", "group: 1"));
    const groupLine = text.slice(0, jwt).split("\n").length + text.slice(jwt).split("\n").findIndex((l) => l.includes("group: 0"));
    expect(await problems(group.file)).toEqual([
      `${group.file}:${group.line}:${group.col + "key: ".length}: patterns[5].key: "awsKey" is not a key of secret-keys.yaml, so --redact would not hide the secret`,
      `${group.file}:${groupLine}:12: patterns[6].group: the regex has 0 capture groups, so group 1 never holds the secret`,
    ]);
  });

  it("forms of one secret (patterns sharing an id) that say different things of it", async () => {
    const text = readFileSync(join(DATA, "boot-log-secrets.yaml"), "utf8");
    const second = text.indexOf("id: wifi-psk", text.indexOf("id: wifi-psk") + 1);
    const file = join(dir, "boot-log-secrets.yaml");
    writeFileSync(file, text.slice(0, second) + text.slice(second).replace("severity: high", "severity: low"));
    const line = text.slice(0, second).split("\n").length;
    expect(await problems(file)).toEqual([
      `${file}:${line}:9: patterns[2].id: "wifi-psk" is also patterns[1], whose severity differs: forms of one secret must agree`,
    ]);
  });

  it("a pattern id that boot-log-secrets.yaml does not have", async () => {
    const at = brokenCopy("firmware-secrets.yaml", "bearer-token", "bearer-tokens");
    expect(await problems(at.file)).toEqual([
      `${at.file}:${at.line}:${at.col}: textPatterns[2]: "bearer-tokens" is not the id of a pattern in boot-log-secrets.yaml`,
    ]);
  });

  it("a credential list with a blank line, a pair twice and a row of three columns", async () => {
    const text = readFileSync(join(DATA, "credentials", "mirai.csv"), "utf8").split("\n");
    const lines = [...text.slice(0, 3), "", text[1], "root,root,extra", ...text.slice(3)];
    const file = join(dir, "mirai.csv");
    writeFileSync(file, lines.join("\n"));
    expect(await problems(file)).toEqual([
      `${file}:4:1: a blank line, which would be read as an empty user name and password: remove it, or write "," for that pair`,
      `${file}:5:1: ${JSON.stringify(text[1])} is listed twice (also line 2)`,
      `${file}:6:1: 3 columns, but the header has 2`,
    ]);
  });

  it("a credential list whose source SOURCES.md does not name", async () => {
    const lists = join(dir, "credentials");
    cpSync(join(DATA, "credentials"), lists, { recursive: true });
    const sources = join(lists, "SOURCES.md");
    writeFileSync(sources, readFileSync(sources, "utf8").replace("## snmp-communities.csv", "## SNMP communities"));
    const file = join(lists, "snmp-communities.csv");
    expect(await problems(file)).toEqual([
      `${file}:1:1: SOURCES.md beside it has no section "## snmp-communities.csv": say where the list comes from, its licence and how it was made`,
    ]);
  });
});

describe("iotcert validate", () => {
  const collect = () => {
    let text = "";
    return { stream: new Writable({ write: (chunk, _enc, done) => ((text += String(chunk)), done()) }), text: () => text };
  };

  it("checks a data file by its name, and says which schema it used", async () => {
    const [out, err] = [collect(), collect()];
    const broken = brokenCopy("debug-services.yaml", "why:", "reason:").file;
    const code = await validateCommand([join(DATA, "udp-probes.yaml"), join(DATA, "credentials", "iot-defaults.csv"), broken], { out: out.stream, err: err.stream });
    expect(code).toBe(2);
    expect(out.text()).toBe(
      `${join(DATA, "udp-probes.yaml")}: ok (data file, schema harness/schema/data/udp-probes.schema.json)\n` +
        `${join(DATA, "credentials", "iot-defaults.csv")}: ok (credential list iot-defaults.csv)\n`,
    );
    expect(err.text()).toContain(`${broken}:6:`);
    expect(err.text()).toContain('services[0].reason: unknown key "reason" (expected one of: name, why)');
  });
});
