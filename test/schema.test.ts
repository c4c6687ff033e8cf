import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateCommand } from "../harness/cli/validate.js";
import { packagePath } from "../harness/core/paths.js";
import type { Report } from "../harness/core/report.js";
import {
  formatIssue,
  loadDescriptor,
  loadDocument,
  loadProfile,
  validateDocumentValue,
  validateReport,
  ValidationError,
  type Issue,
} from "../harness/schema/load.js";

const GOOD_DEVICE = `id: plug-1
vendor: Acme
model: P1
firmware: "1.0.3"
network:
  address: 192.0.2.10
  tcpPorts: "1-1024,8080"
mqtt: { url: "mqtt://192.0.2.10:1883" }
serial: { path: /dev/ttyUSB0, baudRate: auto }
ble: { address: "aa:bb:cc:dd:ee:ff" }
declared:
  openPorts: ["443/tcp", "5683/udp"]
  supportPeriodEnd: 2030-12-31
  credentials: [{ username: admin, password: "", unique: false }]
attestations:
  "5.2-1": { verdict: pass, note: reviewed }
`;

const GOOD_PROFILE = `id: tiny
title: Tiny profile
levels: [low, high]
provisions:
  - id: "5.1-1"
    title: No universal default passwords
    level: low
    checks: [credentials.default-passwords]
  - id: "5.2-1"
    title: Disclosure policy
    level: high
    attestation: true
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotcert-schema-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fixture(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

async function issuesOf(load: (file: string) => Promise<unknown>, file: string): Promise<Issue[]> {
  try {
    await load(file);
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  return [];
}

/** `line:col path: message` for each issue, without the temp folder. */
function brief(issues: Issue[]): string[] {
  return issues.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`);
}

describe("good documents", () => {
  it("loads a descriptor, keeping the date a string", async () => {
    const device = await loadDescriptor(await fixture("good-device.yaml", GOOD_DEVICE));
    expect(device.id).toBe("plug-1");
    expect(device.declared?.supportPeriodEnd).toBe("2030-12-31");
    expect(device.serial?.baudRate).toBe("auto");
  });

  it("loads a profile", async () => {
    const profile = await loadProfile(await fixture("good-profile.yaml", GOOD_PROFILE));
    expect(profile.provisions.map((p) => p.id)).toEqual(["5.1-1", "5.2-1"]);
  });

  it("loads a profile's amplification threshold", async () => {
    const profile = await loadProfile(await fixture("thresholds.yaml", `${GOOD_PROFILE}parameters: { amplificationFactor: 3.5 }\n`));
    expect(profile.parameters).toEqual({ amplificationFactor: 3.5 });
  });

  it("tells descriptors from profiles by content", async () => {
    expect((await loadDocument(await fixture("d.yaml", GOOD_DEVICE))).kind).toBe("descriptor");
    expect((await loadDocument(await fixture("p.yaml", GOOD_PROFILE))).kind).toBe("profile");
  });

  it("reads JSON as well", async () => {
    const json = JSON.stringify({ id: "j", vendor: "v", model: "m", firmware: "1", network: { address: "2001:db8::1", tcpPorts: [22, 80] } });
    expect((await loadDescriptor(await fixture("d.json", json))).network?.tcpPorts).toEqual([22, 80]);
  });

  it("keeps dates as strings under a %YAML 1.1 directive", async () => {
    const device = await loadDescriptor(await fixture("yaml11.yaml", `%YAML 1.1\n---\n${GOOD_DEVICE}`));
    expect(device.declared?.supportPeriodEnd).toBe("2030-12-31");
  });

  it("accepts every shipped profile", async () => {
    for (const name of await readdir(packagePath("profiles"))) {
      if (name.endsWith(".yaml")) await expect(loadProfile(packagePath("profiles", name))).resolves.toBeDefined();
    }
  });
});

describe("every example descriptor in devices/examples is valid", async () => {
  const names = (await readdir(packagePath("devices", "examples"))).filter((n) => /\.(ya?ml|json)$/.test(n));
  it("has examples", () => expect(names.length).toBeGreaterThan(0));
  it.each(names)("%s", async (name) => {
    const device = await loadDescriptor(packagePath("devices", "examples", name));
    expect(device.id).toBeTruthy();
  });
});

const UPDATE_DEVICE = `id: plug-2
vendor: Acme
model: P1
firmware: "1.0.3"
network: { address: 192.0.2.10 }
declared:
  update:
    manifestUrl: https://updates.acme.example/p1/manifest.json
    firmwareUrl: https://updates.acme.example/p1/fw-1.0.3.bin
    signatureUrl: https://updates.acme.example/p1/fw-1.0.3.bin.sig
    publicKey: |
      -----BEGIN PUBLIC KEY-----
      MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
      -----END PUBLIC KEY-----
    firmwareImage: firmware/p1-1.0.3.bin
    versionReadback: { http: { url: "http://192.0.2.10/api/version", pattern: '"version":"([^"]+)"' } }
  supportPeriodEnd: 2030-12-31
  vulnerabilityDisclosureUrl: https://acme.example/.well-known/security.txt
updateLab:
  listen: { address: 198.18.0.1, port: 443 }
  tls: { cert: lab/updates.pem, key: lab/updates.key }
  current: { version: "1.0.4", image: fw-1.0.4.bin, signature: fw-1.0.4.bin.sig }
  older: { version: "1.0.1", image: fw-1.0.1.bin, signature: fw-1.0.1.bin.sig, manifest: manifest-1.0.1.json }
  waitSeconds: 60
`;

describe("update, lifecycle and disclosure declarations", () => {
  it("loads the update URLs, key, image, version readback and the rogue-server lab", async () => {
    const device = await loadDescriptor(await fixture("update-device.yaml", UPDATE_DEVICE));
    expect(device.declared?.update?.versionReadback).toEqual({ http: { url: "http://192.0.2.10/api/version", pattern: '"version":"([^"]+)"' } });
    expect(device.declared?.update?.publicKey).toContain("BEGIN PUBLIC KEY");
    expect(device.updateLab?.older.version).toBe("1.0.1");
  });

  it("refuses a version readback naming two ways, a key that is not PEM and a lab release without a version", async () => {
    const yaml = UPDATE_DEVICE
      .replace("versionReadback: { http:", "versionReadback: { mqtt: { topic: fw/version }, http:")
      .replace("-----BEGIN PUBLIC KEY-----", "-----BEGIN KEY-----")
      .replace('current: { version: "1.0.4", ', "current: { ");
    const issues = brief(await issuesOf(loadDescriptor, await fixture("bad-update.yaml", yaml)));
    expect(issues).toEqual([
      expect.stringMatching(/^11:16 declared\.update\.publicKey: expected a PEM public key/),
      "16:22 declared.update.versionReadback: must have exactly one of http, mqtt or serial",
      '22:3 updateLab.current: missing required key "version"',
    ]);
  });

  it("loads a profile's thresholds and refuses an unknown one", async () => {
    const profile = await loadProfile(await fixture("params.yaml", GOOD_PROFILE.replace("levels: [low, high]\n", "levels: [low, high]\nparameters: { minimumSupportMonths: 24, requireSignedUpdates: true }\n")));
    expect(profile.parameters).toEqual({ minimumSupportMonths: 24, requireSignedUpdates: true });
    const bad = await fixture("bad-params.yaml", GOOD_PROFILE.replace("levels: [low, high]\n", "levels: [low, high]\nparameters: { minimumSupportMonth: 24 }\n"));
    expect(brief(await issuesOf(loadProfile, bad))).toEqual([expect.stringMatching(/^4:15 parameters\.minimumSupportMonth: unknown key "minimumSupportMonth".*did you mean "minimumSupportMonths"\?$/)]);
  });
});

describe("bad descriptors give the position, the field and what was expected", () => {
  const cases: { name: string; yaml: string; expected: unknown[] }[] = [
    {
      name: "misspelt key under network",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\nnetwork:\n  adress: 192.0.2.1\n",
      expected: [
        '5:1 network: missing required key "address"',
        '6:3 network.adress: unknown key "adress" (expected one of: address, tcpPorts, udpPorts); did you mean "address"?',
      ],
    },
    {
      name: "misspelt key at top level",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\ndeclard:\n  mudUrl: https://acme.example/mud.json\n",
      expected: [expect.stringMatching(/^5:1 declard: unknown key "declard" \(expected one of: id, vendor, .*\); did you mean "declared"\?$/)],
    },
    {
      name: "port above 65535 in a list",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\nnetwork:\n  address: 192.0.2.1\n  tcpPorts: [22, 70000]\n",
      expected: ["7:18 network.tcpPorts[1]: must be <= 65535, got 70000"],
    },
    {
      name: "port above 65535 in a range string",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\nnetwork:\n  address: 192.0.2.1\n  tcpPorts: \"1-70000\"\n",
      expected: ["7:13 network.tcpPorts: port 70000 is outside 1-65535"],
    },
    {
      name: "tcpPorts that is neither a list nor a port string",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\nnetwork:\n  address: 192.0.2.1\n  tcpPorts: everything\n",
      expected: ['7:13 network.tcpPorts: expected "all" or ports and ranges like "1-1024,8080", got "everything"'],
    },
    {
      name: "login form on another host, and one without success conditions",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\nnetwork: { address: 192.0.2.1 }\nloginForms:\n  - url: http://198.51.100.9/login\n    usernameField: u\n    passwordField: p\n    success: { status: 302 }\n  - url: http://192.0.2.1/login\n    usernameField: u\n    passwordField: p\n    success: {}\n",
      expected: [
        "7:10 loginForms[0].url: must be on the unit's address 192.0.2.1, not 198.51.100.9",
        "14:14 loginForms[1].success: must have at least one of status, locationIncludes, bodyIncludes, setsCookie",
      ],
    },
    {
      name: "declared open port above 65535",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\ndeclared:\n  openPorts:\n    - 443/tcp\n    - 70000/tcp\n",
      expected: ["8:7 declared.openPorts[1]: port 70000 is outside 1-65535"],
    },
    {
      name: "missing required id",
      yaml: "vendor: v\nmodel: m\nfirmware: '1'\n",
      expected: ['1:1 : missing required key "id"'],
    },
    {
      name: "unquoted firmware version read as a number",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: 1.10\n",
      expected: ["4:11 firmware: expected a string, got 1.1 (put it in quotes to keep it as text)"],
    },
    {
      name: "bad attestation verdict and bad URL",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\ndeclared: { mudUrl: not a url }\nattestations:\n  \"5.2-1\": { verdict: passed }\n",
      expected: [
        "5:21 declared.mudUrl: expected an absolute URL like https://acme.example/path, got \"not a url\"",
        '7:23 attestations["5.2-1"].verdict: "passed" is not allowed (expected one of: pass, fail, not-applicable); did you mean "pass"?',
      ],
    },
    {
      name: "address that is no address",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\nnetwork: { address: \"192.0.2.1/24\" }\n",
      expected: ['5:21 network.address: expected an IPv4 address, an IPv6 address or a host name, got "192.0.2.1/24"'],
    },
    {
      name: "impossible date",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\ndeclared:\n  supportPeriodEnd: 2030-02-30\n",
      expected: ['6:21 declared.supportPeriodEnd: expected a date like 2030-12-31, got "2030-02-30"'],
    },
    {
      name: "shortened key",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\ndeclared:\n  credentials:\n    - { user: admin, password: x }\n",
      expected: [
        '7:7 declared.credentials[0]: missing required key "username"',
        '7:9 declared.credentials[0].user: unknown key "user" (expected one of: username, password, service, unique); did you mean "username"?',
      ],
    },
    {
      name: "YAML syntax error",
      yaml: "id: a\nvendor: v\nnetwork: [1, 2\nmodel: m\n",
      expected: [expect.stringMatching(/^4:1 : YAML syntax: /)],
    },
    {
      name: "duplicate key",
      yaml: "id: a\nvendor: v\nmodel: m\nfirmware: '1'\nid: b\n",
      expected: ["5:1 : YAML syntax: Map keys must be unique"],
    },
  ];

  it.each(cases)("$name", async ({ name, yaml, expected }) => {
    const file = await fixture(`${name.replace(/\W+/g, "-")}.yaml`, yaml);
    expect(brief(await issuesOf(loadDescriptor, file))).toEqual(expected);
  });

  it("reports a file that cannot be read at 1:1", async () => {
    const issues = await issuesOf(loadDescriptor, join(dir, "missing.yaml"));
    expect(brief(issues)).toEqual([expect.stringMatching(/^1:1 : ENOENT/)]);
  });

  it("says so when given a profile where a descriptor belongs", async () => {
    const issues = await issuesOf(loadDescriptor, await fixture("profile-as-device.yaml", GOOD_PROFILE));
    expect(issues[0]?.message).toMatch(/this is a profile/);
  });

  it("collects every issue, sorted by position", async () => {
    const file = await fixture("many.yaml", "id: a\nvendr: v\nmodel: m\nfirmware: '1'\nnetwork: { address: 192.0.2.1, tcpPorts: [0] }\n");
    const issues = await issuesOf(loadDescriptor, file);
    expect(brief(issues)).toEqual([
      '1:1 : missing required key "vendor"',
      '2:1 vendr: unknown key "vendr" (expected one of: id, vendor, model, firmware, network, snmp, mqtt, coap, serial, ble, declared, updateLab, attestations, loginForms, siblings, lab); did you mean "vendor"?',
      "5:43 network.tcpPorts[0]: must be >= 1, got 0",
    ]);
    expect(formatIssue(issues[1]!)).toBe(`${file}:2:1: vendr: ${issues[1]!.message}`);
  });
});

describe("bad profiles", () => {
  const header = "id: p\ntitle: P\nlevels: [low, medium, high]\nprovisions:\n";
  const cases: { name: string; yaml: string; expected: unknown[] }[] = [
    {
      name: "provision with a level the profile does not declare",
      yaml: `${header}  - id: "1"\n    title: t\n    level: hgih\n    attestation: true\n`,
      expected: ['7:12 provisions[0].level: unknown level "hgih" (expected one of: low, medium, high); did you mean "high"?'],
    },
    {
      name: "duplicate provision id",
      yaml: `${header}  - { id: "1", title: t, level: low, attestation: true }\n  - { id: "1", title: u, level: low, attestation: true }\n`,
      expected: ['6:11 provisions[1].id: duplicate provision id "1" (also provisions[0].id)'],
    },
    {
      name: "provision with neither checks nor attestation",
      yaml: `${header}  - { id: "1", title: t, level: low, checks: [] }\n`,
      expected: ['5:5 provisions[0]: must have a non-empty "checks" list or "attestation: true"'],
    },
    {
      name: "malformed check id",
      yaml: `${header}  - { id: "1", title: t, level: low, checks: [Default_Passwords] }\n`,
      expected: ['5:47 provisions[0].checks[0]: expected a check id like "credentials.default-passwords", got "Default_Passwords"'],
    },
    {
      name: "check id with a typo",
      yaml: `${header}  - id: "1"\n    title: t\n    level: low\n    checks:\n      - surface.tcp-ports\n      - credentials.default-pasword\n`,
      expected: ['10:9 provisions[0].checks[1]: unknown check "credentials.default-pasword" (did you mean "credentials.default-passwords"?)'],
    },
    {
      name: "check id like nothing iotcert has",
      yaml: `${header}  - { id: "1", title: t, level: low, checks: [quantum.entanglement] }\n`,
      expected: ['5:47 provisions[0].checks[0]: unknown check "quantum.entanglement" (`iotcert checks` lists them)'],
    },
    {
      name: "amplification threshold that is not a positive number",
      yaml: `${header}  - { id: "1", title: t, level: low, attestation: true }\nparameters: { amplificationFactor: 0 }\n`,
      expected: ["6:36 parameters.amplificationFactor: must be > 0"],
    },
    {
      name: "unknown threshold",
      yaml: `${header}  - { id: "1", title: t, level: low, attestation: true }\nparameters: { amplification: 3 }\n`,
      expected: [expect.stringMatching(/^6:15 parameters\.amplification: unknown key/)],
    },
    {
      name: "profile id with capitals",
      yaml: "id: ETSI\ntitle: P\nlevels: [low]\nprovisions:\n  - { id: '1', title: t, level: low, attestation: true }\n",
      expected: [expect.stringMatching(/^1:5 id: expected lower-case letters/)],
    },
  ];

  it.each(cases)("$name", async ({ name, yaml, expected }) => {
    const file = await fixture(`${name.replace(/\W+/g, "-")}.yaml`, yaml);
    expect(brief(await issuesOf(loadProfile, file))).toEqual(expected);
  });
});

describe("validateDocumentValue", () => {
  it("validates a descriptor built in memory, without positions", () => {
    const issues = validateDocumentValue("descriptor", { id: "sim", vendor: "v", model: "m", firmware: "1", network: { address: "127.0.0.1", tcpPorts: "1-70000" } }, "sim");
    expect(issues.map(formatIssue)).toEqual(["sim: network.tcpPorts: port 70000 is outside 1-65535"]);
  });
});

describe("validateCommand", () => {
  function sink(): { stream: Writable; text: () => string } {
    let text = "";
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    return { stream, text: () => text };
  }

  it("returns 0 and says ok for good files", async () => {
    const [out, err] = [sink(), sink()];
    const device = await fixture("ok-device.yaml", GOOD_DEVICE);
    const profile = await fixture("ok-profile.yaml", GOOD_PROFILE);
    expect(await validateCommand([device, profile], { out: out.stream, err: err.stream })).toBe(0);
    expect(out.text()).toBe(`${device}: ok (device descriptor "plug-1")\n${profile}: ok (profile "tiny", 2 provisions)\n`);
    expect(err.text()).toBe("");
  });

  it("returns 2 and prints file:line:col for each bad file", async () => {
    const [out, err] = [sink(), sink()];
    const good = await fixture("cmd-good.yaml", GOOD_DEVICE);
    const bad1 = await fixture("cmd-bad1.yaml", "id: a\nvendor: v\nmodel: m\nfirmware: '1'\nnetwork:\n  adress: x\n");
    const bad2 = await fixture("cmd-bad2.yaml", "id: [\n");
    expect(await validateCommand([bad1, good, bad2], { out: out.stream, err: err.stream })).toBe(2);
    expect(out.text()).toBe(`${good}: ok (device descriptor "plug-1")\n`);
    expect(err.text()).toContain(`${bad1}:6:3: network.adress: unknown key "adress"`);
    expect(err.text()).toMatch(new RegExp(`${bad2.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: YAML syntax: `));
  });

  it("returns 2 with a usage line when given no files", async () => {
    const [out, err] = [sink(), sink()];
    expect(await validateCommand([], { out: out.stream, err: err.stream })).toBe(2);
    expect(err.text()).toMatch(/^usage: iotcert validate/);
  });
});

describe("validateReport", () => {
  const report: Report = {
    schema: "iotcert/report@1",
    harness: { name: "iotcert", version: "0.1.0" },
    device: { id: "plug-1", vendor: "Acme", model: "P1", firmware: "1.0.3", address: "192.0.2.10" },
    profile: { id: "etsi-en-303-645", title: "ETSI EN 303 645" },
    pace: "normal",
    audit: {
      node: "v20.20.2",
      platform: "linux x64",
      descriptor: { path: "devices/acme-plug.yaml", sha256: "9f2b".padEnd(64, "0"), hashOf: "file" },
      profile: [{ path: "profiles/etsi-en-303-645.yaml", sha256: "51c0".padEnd(64, "0"), hashOf: "file" }],
      pace: { name: "normal", checkConcurrency: 2, connections: 64, connectionsPerSecond: 1000, attemptsPerService: 30, loginsAtOnce: 4, connectTimeoutMs: 1500, retries: 1, bannerWaitMs: 1500, checkTimeoutMs: 600000, heartbeatIntervalMs: 5000, heartbeatBackoffMs: [1000, 2000, 4000] },
      options: { allowFragile: false, stateChanging: false },
    },
    startedAt: "2025-01-01T10:00:00.000Z",
    finishedAt: "2025-01-01T10:01:00.000Z",
    complete: true,
    label: { level: "none", heldBy: ["5.1-1"], reason: "5.1-1 failed" },
    provisions: [{ id: "5.1-1", title: "No default passwords", level: "low", verdict: "fail", checks: ["credentials.default-passwords"], reason: "telnet accepts root/xc3511" }],
    checks: [{ id: "credentials.default-passwords", title: "Default passwords", verdict: "fail", summary: "1 login accepted", durationMs: 812.5 }],
    findings: [
      {
        check: "credentials.default-passwords",
        severity: "critical",
        title: "telnet accepts a default password",
        target: { transport: "tcp", address: "192.0.2.10", port: 23, service: "telnet" },
        evidence: { username: "root", password: "xc3511" },
      },
    ],
    surface: { tcp: [{ port: 23, service: "telnet", banner: "login: ", tls: false }], udp: [{ port: 5683, service: "coap" }] },
    probes: [{ check: "credentials.default-passwords", address: "192.0.2.10", ports: "23", protocol: "telnet", count: 3, firstAt: "2025-01-01T10:00:01.000Z", lastAt: "2025-01-01T10:00:09.000Z" }],
    redacted: false,
  };

  it("accepts a valid report", () => {
    expect(validateReport(report)).toEqual([]);
  });

  it("rejects an unknown key and a bad verdict", () => {
    const bad = { ...report, extra: 1, checks: [{ ...report.checks[0], verdict: "passed" }] };
    expect(validateReport(bad).map(formatIssue)).toEqual([
      'report.json: extra: unknown key "extra" (expected one of: schema, harness, device, profile, pace, audit, startedAt, finishedAt, complete, incompleteReason, label, provisions, checks, findings, surface, probes, redacted)',
      'report.json: checks[0].verdict: "passed" is not allowed (expected one of: pass, fail, inconclusive, not-applicable, error); did you mean "pass"?',
    ]);
  });
});

describe("the schemas themselves", () => {
  // The loader skips this check at start-up for speed, so it is made here.
  it.each(["device", "profile", "report", "mud", "attestations"])("%s.schema.json is a valid JSON Schema 2020-12", (name) => {
    const schema = JSON.parse(readFileSync(`harness/schema/${name}.schema.json`, "utf8")) as object;
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
  });
});
