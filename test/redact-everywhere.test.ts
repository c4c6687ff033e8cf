// --redact hides every secret found anywhere in the report, not only each finding's own, in every
// file the run writes, run.log included. The device: an open MQTT broker holding another unit's
// retained configuration with three secrets in one payload (a password, a Wi-Fi PSK, an API
// token), and a telnet login that takes that password and prints the token in its banner. Each
// secret is found under its own key by one finding and shows as text in others (the payload's
// context line, the banner, the service's product, a summary, the log).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTelnetServer } from "../devices/simulated/telnet-server.js";
import { certifyToFolder } from "../harness/cli/certify-to-folder.js";
import { Pace } from "../harness/core/pace.js";
import { packagePath } from "../harness/core/paths.js";
import type { Report } from "../harness/core/report.js";
import { loadProfile } from "../harness/schema/load.js";
import type { Descriptor } from "../harness/schema/types.js";
import { startOpenBroker, type OpenBroker } from "./helpers/open-broker.js";

const PASSWORD = "Pl4nted-Passw0rd!";
const PSK = "WpaPlanted77psk";
const TOKEN = "tokPlanted1234567890";
const SECRETS = [PASSWORD, PSK, TOKEN];
const FILES = ["report.json", "report.html", "junit.xml", "report.sarif", "label.svg", "run.log"];

let broker: OpenBroker;
let telnet: Server;
let dir: string;
let device: Descriptor;

beforeAll(async () => {
  broker = await startOpenBroker([{ topic: "home/plug-2/config", payload: JSON.stringify({ password: PASSWORD, wifi_psk: PSK, api_token: TOKEN }) }]);
  telnet = createTelnetServer({ banner: `Acme P1 firmware 1.0.3 token=${TOKEN}`, accounts: [{ username: "root", password: PASSWORD }], motd: "" });
  await new Promise<void>((resolve) => telnet.listen(0, "127.0.0.1", resolve));
  const telnetPort = (telnet.address() as { port: number }).port;
  dir = await mkdtemp(join(tmpdir(), "iotcert-redact-"));
  device = {
    id: "leaky", vendor: "Acme", model: "P1", firmware: "1.0.3",
    network: { address: "127.0.0.1", tcpPorts: [broker.port, telnetPort], udpPorts: [] },
    // The manual's password, which the broker's payload gives away too
    declared: { credentials: [{ username: "root", password: PASSWORD, service: "telnet" }] },
  };
});
afterAll(async () => {
  telnet.close();
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
});

async function runTo(out: string, redact: boolean): Promise<Record<string, string>> {
  await certifyToFolder({
    device, profile: await loadProfile(packagePath("profiles", "etsi-en-303-645.yaml")), out, pace: Pace.named("fast"),
    options: { allowFragile: false, stateChanging: false }, signal: new AbortController().signal,
    only: ["surface.tcp-ports", "surface.services", "mqtt.*", "credentials.default-passwords"], redact,
  });
  return Object.fromEntries(await Promise.all(FILES.map(async (f) => [f, await readFile(join(out, f), "utf8")] as const)));
}

describe("--redact", () => {
  it("without it, the secrets are in the report and the log, under their keys and as text elsewhere", async () => {
    const files = await runTo(join(dir, "plain"), false);
    for (const s of SECRETS) expect(files["report.json"], s).toContain(s);
    const report = JSON.parse(files["report.json"]!) as Report;
    // The payload finding for the password shows the PSK and the token in its context line
    const password = report.findings.find((f) => f.check === "mqtt.wildcard-subscribe" && f.evidence?.password === PASSWORD)!;
    expect(String(password.evidence!.context)).toContain(PSK);
    expect(report.surface.tcp.find((p) => p.banner?.includes(TOKEN))).toBeDefined();
    expect(files["run.log"]).toContain(PASSWORD);
    expect(files["run.log"]).toContain(TOKEN);
  });

  it("hides every secret found, wherever it shows, in every file the run writes", async () => {
    const files = await runTo(join(dir, "redacted"), true);
    const report = JSON.parse(files["report.json"]!) as Report;
    expect(report.redacted).toBe(true);
    // Each secret was found under its key (so the test plants what the checks find)
    const keyed = report.findings.flatMap((f) => Object.entries(f.evidence ?? {})).filter(([k]) => ["password", "psk", "token"].includes(k));
    expect(new Set(keyed.map(([k]) => k))).toEqual(new Set(["password", "psk", "token"]));
    expect(keyed.every(([, v]) => v === "[redacted]")).toBe(true);
    for (const f of FILES) {
      for (const s of SECRETS) {
        for (const spelling of [s, Buffer.from(s).toString("base64")]) expect(files[f], `${spelling} in ${f}`).not.toContain(spelling);
      }
    }
    // What is no secret stays: the findings, the verdicts, the user name
    expect(report.checks.find((c) => c.id === "credentials.default-passwords")?.verdict).toBe("fail");
    expect(report.findings.find((f) => f.check === "credentials.default-passwords")?.evidence).toMatchObject({ username: "root", password: "[redacted]" });
    expect(files["run.log"]).toContain('"msg":"run finished"');
    expect(files["run.log"]).toContain("[redacted]");
  });
});
