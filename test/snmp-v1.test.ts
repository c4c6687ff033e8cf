// An agent that speaks only SNMPv1 (Debian's snmpd, its only access rule for the v1 security
// model) on 127.0.0.1:161: the UDP scan's v2c probe gets silence, its SNMPv1 fallback an answer,
// and the credential check finds "public" in SNMPv1. Port 161 needs root; elsewhere this skips
// with the reason, and under CI=true it fails instead.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPasswords } from "../harness/checks/credentials/default-passwords.js";
import { udpServices } from "../harness/checks/surface/udp-services.js";
import { Pace } from "../harness/core/pace.js";
import { makeContext } from "./helpers/context.js";
import { udpAnswers } from "./helpers/udp-answers.js";

const SNMPD = "/usr/sbin/snmpd";
const why = process.getuid?.() !== 0 ? "needs root for port 161" : !existsSync(SNMPD) ? `needs ${SNMPD} (Debian package snmpd)` : undefined;
if (why && process.env.CI === "true") throw new Error(`snmp-v1.test.ts cannot run here: it ${why}`);

const DEVICE = { id: "relay", vendor: "Acme", model: "R1", firmware: "2.0", network: { address: "127.0.0.1", tcpPorts: [22], udpPorts: [161] } };
const SYS_DESCR = "Acme Relay R1 firmware 2.0 (SNMPv1 only)";
/** The UDP scan's own SNMPv1 GetRequest for sysDescr.0, community "public" (harness/data/udp-probes.yaml). */
const V1_GET = Buffer.from("302902010004067075626c6963a01c0204696f7463020100020100300e300c06082b060102010101000500", "hex");

/** Whether the agent answers an SNMPv1 GetRequest within `ms`. */
const answers = (ms: number) => udpAnswers(V1_GET, 161, ms);

describe.skipIf(why)(`an SNMPv1-only agent${why ? ` (skipped: ${why})` : ""}`, () => {
  let agent: ChildProcess;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "iotcert-snmpd-"));
    mkdirSync(join(dir, "persist"));
    // v1 only: "public" is mapped to a group that has access rules for the v1 model alone, so a
    // v2c request with it is not authorised, and snmpd drops it without an answer.
    writeFileSync(join(dir, "snmpd.conf"), [
      "agentaddress udp:127.0.0.1:161",
      "com2sec v1user default public",
      "group v1group v1 v1user",
      "view sysonly included .1.3.6.1.2.1.1",
      'access v1group "" v1 noauth exact sysonly none none',
      `sysdescr ${SYS_DESCR}`,
      "",
    ].join("\n"));
    writeFileSync(join(dir, "snmp.conf"), "");
    agent = spawn(SNMPD, ["-f", "-Lo", "-C", "-c", join(dir, "snmpd.conf"), "-I", "-smux,extend"], {
      env: { ...process.env, SNMPCONFPATH: dir, SNMP_PERSISTENT_DIR: join(dir, "persist"), MIBS: "" },
      stdio: "ignore",
    });
    for (let i = 0; i < 50 && !(await answers(100)); i++);
  }, 20_000);
  afterAll(() => {
    agent?.kill();
  });

  it("is found by the UDP scan through the SNMPv1 fallback, named, with its sysDescr", async () => {
    const ctx = makeContext({ device: DEVICE, checkId: udpServices.id, pace: Pace.named("fast", { retries: 1 }) });
    const outcome = await udpServices.run(ctx);
    expect(outcome.verdict).toBe("pass");
    expect(ctx.facts.get("udp.services")).toEqual([expect.objectContaining({ port: 161, service: "snmp", product: SYS_DESCR, requestBytes: 43 })]);
    // The v2c request twice (one retry), then the v1 one, which was answered
    expect(ctx.ledger.all()).toMatchObject([{ protocol: "udp", ports: "161", count: 3 }]);
  });

  it("gives \"public\" away to the credential check, in SNMPv1", async () => {
    const ctx = makeContext({
      device: DEVICE, checkId: defaultPasswords.id, pace: Pace.named("fast", { loginsAtOnce: 1, attemptsPerService: 3 }),
      facts: { "tcp.services": [], "udp.services": [{ port: 161, service: "snmp", requestBytes: 43, responseBytes: 80 }] },
    });
    const outcome = await defaultPasswords.run(ctx);
    expect(outcome.verdict).toBe("fail");
    const finding = outcome.findings!.find((f) => f.evidence?.password === "public");
    expect(finding).toMatchObject({ severity: "high", title: "snmp on port 161/udp accepts a default community (read; write not tested)" });
    expect(String(finding!.evidence!.transcript)).toContain(`(SNMPv1): sysDescr.0 = "${SYS_DESCR}"`);
  });
});
