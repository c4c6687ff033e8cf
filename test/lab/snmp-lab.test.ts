// SNMP as a lab tests it, against Debian's snmpd in the lab's namespaces (test/lab/up.sh): the
// plug (198.18.0.10) answers "public" (read) and "private" (read-write) and has SNMPv3 users
// "ops" (SHA-256/AES), "legacy" (MD5/DES, reads with authentication alone) and "initial" (no
// password); the hardened thermostat (198.18.0.20) speaks SNMPv3 with authPriv only. The UDP scan,
// the credential check and snmp.transport-security run in a real run's order, each on the facts
// of the one before. Needs the lab; skips with the reason elsewhere, never under CI=true.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultPasswords } from "../../harness/checks/credentials/default-passwords.js";
import { snmpTransportSecurity } from "../../harness/checks/snmp/transport-security.js";
import { udpServices } from "../../harness/checks/surface/udp-services.js";
import type { AcceptedCredential } from "../../harness/core/facts.js";
import { Pace } from "../../harness/core/pace.js";
import type { Outcome, RunOptions } from "../../harness/core/types.js";
import type { Descriptor } from "../../harness/schema/types.js";
import { makeContext } from "../helpers/context.js";
import { labUp, requireLab } from "./lab.js";

const lab = requireLab();
const LAB_TIMEOUT_MS = 120_000;
const load = (name: string) => parse(readFileSync(new URL(`devices/${name}.yaml`, import.meta.url), "utf8")) as Descriptor;

async function run(device: Descriptor, options: Partial<RunOptions> = {}): Promise<{ credentials: Outcome; transport: Outcome }> {
  const pace = Pace.named("normal");
  const scan = makeContext({ device: { ...device, network: { ...device.network!, udpPorts: [161] } }, checkId: udpServices.id, pace, facts: { "tcp.open": [] } });
  await udpServices.run(scan);
  const udp = scan.facts.get("udp.services") ?? [];
  expect(udp.find((s) => s.port === 161)?.service).toBe("snmp");
  // SNMP alone: the descriptor's web forms (on TCP) are another test's
  const { loginForms: _forms, ...snmpOnly } = device;
  const creds = makeContext({ device: snmpOnly, checkId: defaultPasswords.id, pace, options, facts: { "tcp.services": [], "udp.services": udp } });
  const credentials = await defaultPasswords.run(creds);
  const accepted = creds.facts.get("credentials.accepted") as AcceptedCredential[];
  const ctx = makeContext({ device, checkId: snmpTransportSecurity.id, pace, options, facts: { "udp.services": udp, "credentials.accepted": accepted } });
  return { credentials, transport: await snmpTransportSecurity.run(ctx) };
}

describe.skipIf(lab.skip)(`SNMP v1/v2c/v3 in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  beforeAll(async () => {
    await labUp();
  }, LAB_TIMEOUT_MS);

  it("the plug: \"public\" and \"private\" both read (write not tested), v2c in clear, \"initial\" without a password, legacy MD5/DES", async () => {
    const { credentials, transport } = await run(load("vuln"));
    expect(credentials.verdict).toBe("fail");
    expect(credentials.findings!.map((f) => [f.target?.port, f.evidence!.community, f.evidence!.access])).toEqual([[161, "public", "read; write not tested"], [161, "private", "read; write not tested"]]);
    expect(transport.verdict).toBe("fail");
    expect(transport.findings!.map((f) => f.title)).toEqual([
      "SNMPv1/v2c on port 161/udp: 2 communities work, and the community and every value read or written cross the network in cleartext",
      'SNMPv3 user "initial" reads without any password (noAuthNoPriv), in cleartext',
      'SNMPv3 user "legacy" reads without encryption (authNoPriv): every value it reads crosses the network in cleartext',
      'SNMPv3 user "legacy" uses weak cryptography: MD5 and DES',
    ]);
    expect((transport.evidence as { agents: unknown[] }).agents[0]).toMatchObject({ v3: true, engineId: expect.stringMatching(/^80001f88/) });
  }, LAB_TIMEOUT_MS);

  it("the plug with --state-changing: \"private\" writes (critical), \"public\" only reads", async () => {
    const { credentials } = await run(load("vuln"), { stateChanging: true });
    expect(credentials.findings!.map((f) => [f.severity, f.evidence!.community, f.evidence!.access])).toEqual([["high", "public", "read"], ["critical", "private", "read, write"]]);
  }, LAB_TIMEOUT_MS);

  it("the hardened thermostat (SNMPv3 authPriv only): no SNMP credential finding, and a pass", async () => {
    const { credentials, transport } = await run(load("hard"));
    expect(credentials.verdict).toBe("pass");
    expect(credentials.findings).toEqual([]);
    expect(transport.findings).toEqual([]);
    expect(transport.verdict).toBe("pass");
  }, LAB_TIMEOUT_MS);
});
