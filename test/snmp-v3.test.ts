// SNMP v1/v2c/v3 against Debian's snmpd on a loopback port: a "plug" with "public" (read),
// "private" (read-write), an SNMPv3 user with SHA-256/AES, one with MD5/DES and "initial" without
// a password; and a "hardened" agent with no community and one SHA-256/AES user. The credential
// check and snmp.transport-security run as in a real run (the credential check's fact feeds the
// second). Without /usr/sbin/snmpd this skips with the reason; under CI=true it fails instead.
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPasswords } from "../harness/checks/credentials/default-passwords.js";
import { snmpTransportSecurity } from "../harness/checks/snmp/transport-security.js";
import type { AcceptedCredential, UdpService } from "../harness/core/facts.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { udpAnswers } from "./helpers/udp-answers.js";

const SNMPD = "/usr/sbin/snmpd";
const why = !existsSync(SNMPD) ? `needs ${SNMPD} (Debian package snmpd)` : undefined;
if (why && process.env.CI === "true") throw new Error(`snmp-v3.test.ts cannot run here: it ${why}`);

const SHA_AES = { username: "ops", authProtocol: "SHA-256", authKey: "ops-auth-passphrase", privProtocol: "AES", privKey: "ops-priv-passphrase" } as const;
const MD5_DES = { username: "legacy", authProtocol: "MD5", authKey: "legacy-auth-pass", privProtocol: "DES", privKey: "legacy-priv-pass" } as const;

/** A free UDP port on loopback (the agent binds it right after). */
async function freePort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** An SNMPv3 engine discovery: every v3 agent answers it. */
const DISCOVERY = Buffer.from("303e02010330110204696f7463020300ffe30401040201030410300e0400020100020100040004000400301404000400a00e0204696f74630201000201003000", "hex");
/** Whether anything answers an SNMPv3 engine discovery on `port` within `ms`. */
const answers = (port: number, ms: number) => udpAnswers(DISCOVERY, port, ms);

async function snmpd(lines: string[]): Promise<{ port: number; agent: ChildProcess }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "iotcert-snmpd-"));
  mkdirSync(join(dir, "persist"));
  writeFileSync(join(dir, "snmpd.conf"), [`agentaddress udp:127.0.0.1:${port}`, "view sysonly included .1.3.6.1.2.1.1", ...lines, "sysdescr Acme test agent", "syscontact ops@example.test", ""].join("\n"));
  writeFileSync(join(dir, "snmp.conf"), "");
  const agent = spawn(SNMPD, ["-f", "-Lo", "-C", "-c", join(dir, "snmpd.conf"), "-I", "-smux,extend"], {
    env: { ...process.env, SNMPCONFPATH: dir, SNMP_PERSISTENT_DIR: join(dir, "persist"), MIBS: "" },
    stdio: "ignore",
  });
  for (let i = 0; i < 50 && !(await answers(port, 100)); i++);
  return { port, agent };
}

const device = (v3Users: Descriptor["snmp"] extends infer S ? S extends { v3Users?: infer U } ? U : never : never): Descriptor => ({
  id: "t", vendor: "Acme", model: "P1", firmware: "1", network: { address: "127.0.0.1" }, snmp: { v3Users },
});
const facts = (port: number): UdpService[] => [{ port, service: "snmp", requestBytes: 64, responseBytes: 117 }];

/** The credential check, then snmp.transport-security with the fact it produced, as a run does. */
async function both(port: number, d: Descriptor) {
  const pace = Pace.named("fast", { attemptsPerService: 8 });
  const creds = makeContext({ device: d, checkId: defaultPasswords.id, pace, facts: { "tcp.services": [], "udp.services": facts(port) } });
  const credentials = await defaultPasswords.run(creds);
  const accepted = creds.facts.get("credentials.accepted") as AcceptedCredential[];
  const ctx = makeContext({ device: d, checkId: snmpTransportSecurity.id, pace, facts: { "udp.services": facts(port), "credentials.accepted": accepted } });
  return { credentials, transport: await snmpTransportSecurity.run(ctx), ledger: ctx.ledger };
}

describe.skipIf(why)(`SNMP v1/v2c/v3 against Debian's snmpd${why ? ` (skipped: ${why})` : ""}`, () => {
  let plug: { port: number; agent: ChildProcess };
  let hard: { port: number; agent: ChildProcess };
  beforeAll(async () => {
    plug = await snmpd([
      "rocommunity public default -V sysonly",
      "rwcommunity private default -V sysonly",
      `createUser ${SHA_AES.username} SHA-256 "${SHA_AES.authKey}" AES "${SHA_AES.privKey}"`,
      `createUser ${MD5_DES.username} MD5 "${MD5_DES.authKey}" DES "${MD5_DES.privKey}"`,
      "createUser initial",
      `rouser -s usm ${SHA_AES.username} priv -V sysonly`,
      // The legacy user may read with authentication alone: its values then travel unencrypted
      `rouser -s usm ${MD5_DES.username} auth -V sysonly`,
      "rouser -s usm initial noauth -V sysonly",
    ]);
    hard = await snmpd([
      `createUser ${SHA_AES.username} SHA-256 "${SHA_AES.authKey}" AES "${SHA_AES.privKey}"`,
      `rouser -s usm ${SHA_AES.username} priv -V sysonly`,
    ]);
  }, 30_000);
  afterAll(() => {
    plug?.agent.kill();
    hard?.agent.kill();
  });

  it("on the plug: both communities, \"initial\" without a password, the MD5/DES user's weak crypto, and the engine id", async () => {
    const { credentials, transport } = await both(plug.port, device([SHA_AES, MD5_DES]));
    expect(credentials.findings!.map((f) => [f.evidence!.community, f.evidence!.access])).toEqual([["public", "read; write not tested"], ["private", "read; write not tested"]]);

    expect(transport.verdict).toBe("fail");
    const titles = transport.findings!.map((f) => f.title);
    expect(titles).toEqual([
      `SNMPv1/v2c on port ${plug.port}/udp: 2 communities work, and the community and every value read or written cross the network in cleartext`,
      'SNMPv3 user "initial" reads without any password (noAuthNoPriv), in cleartext',
      'SNMPv3 user "legacy" reads without encryption (authNoPriv): every value it reads crosses the network in cleartext',
      'SNMPv3 user "legacy" uses weak cryptography: MD5 and DES',
    ]);
    const [agent] = (transport.evidence as { agents: Record<string, unknown>[] }).agents;
    // net-snmp's engine ids start 80001f88: enterprise 8072 (net-snmp), RFC 3411 format
    expect(agent).toMatchObject({ v3: true, engineId: expect.stringMatching(/^80001f88[0-9a-f]+$/), enterprise: 8072, usersWithoutPassword: ["initial"] });
    expect(agent!.declaredUsers).toEqual([
      { username: "ops", declared: "SHA-256/AES", auth: "SHA-256", readsWithoutPrivacy: false, priv: "AES" },
      expect.objectContaining({ username: "legacy", declared: "MD5/DES", auth: "MD5", readsWithoutPrivacy: true, priv: "DES", privInferred: expect.stringMatching(/^AES-256, AES-256-Reeder, AES refused/) }),
    ]);
    // The keys are the owner's secrets: nowhere in the findings
    expect(JSON.stringify(transport)).not.toMatch(/passphrase|-pass"/);
  }, 60_000);

  it("finds which protocols a user really has when the descriptor declares others", async () => {
    const { transport } = await both(plug.port, device([{ ...SHA_AES, authProtocol: "SHA", privProtocol: "AES-256" }]));
    const [agent] = (transport.evidence as { agents: Record<string, unknown>[] }).agents;
    expect(agent!.declaredUsers).toEqual([{ username: "ops", declared: "SHA/AES-256", auth: "SHA-256", readsWithoutPrivacy: false, priv: "AES" }]);
  }, 60_000);

  it("on the hardened agent (no community, SHA-256/AES only): no credential finding, and a pass", async () => {
    const { credentials, transport } = await both(hard.port, device([SHA_AES]));
    expect(credentials.verdict).toBe("pass");
    expect(credentials.findings).toEqual([]);
    expect(transport.verdict).toBe("pass");
    expect(transport.findings).toEqual([]);
    expect(transport.summary).toMatch(/SNMPv3 only, engine 80001f88/);
  }, 60_000);
});
