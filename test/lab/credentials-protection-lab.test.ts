// credentials.unique-per-device and credentials.bruteforce-protection against the lab's real
// daemons, with the facts of a real service scan. The plug's two units share their SSH host keys
// and TLS certificate; the thermostat shares nothing with the plug. Brute-force protection: vsftpd
// and busybox login pause after each wrong password, dropbear (about 0.3 s) and mosquitto do not.
// Needs the lab; skips with the reason elsewhere, never under CI=true.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bruteforceProtection } from "../../harness/checks/credentials/bruteforce-protection.js";
import { defaultPasswords } from "../../harness/checks/credentials/default-passwords.js";
import { uniquePerDevice } from "../../harness/checks/credentials/unique-per-device.js";
import { tls } from "../../harness/checks/crypto/tls.js";
import { services } from "../../harness/checks/surface/services.js";
import { tcpPorts } from "../../harness/checks/surface/tcp-ports.js";
import type { Service } from "../../harness/core/facts.js";
import { Pace } from "../../harness/core/pace.js";
import { loadDescriptor } from "../../harness/schema/load.js";
import { loadSiblings } from "../../harness/schema/siblings.js";
import type { Descriptor } from "../../harness/schema/types.js";
import { makeContext, type TestContext } from "../helpers/context.js";
import { LAB, labUp, requireLab, type LabDeviceName } from "./lab.js";

const lab = requireLab();
const LAB_TIMEOUT_MS = 240_000;

/** A context for `device` with the lab scan's facts, and the sibling files its descriptor names. */
async function scanned(name: LabDeviceName, device?: Descriptor): Promise<TestContext> {
  await labUp();
  const file = LAB[name].descriptor;
  const d = device ?? (await loadDescriptor(file));
  const siblings = await loadSiblings(d, file);
  const ctx = makeContext({ device: d, pace: Pace.named("fast", { attemptsPerService: 4 }), options: { siblings } });
  await tcpPorts.run(ctx);
  await services.run(ctx);
  return ctx;
}

/** The fingerprint dropbear itself gives for one of the host keys up.sh generated for a model. */
function labKeyFingerprint(model: string, file: string): string {
  const out = execFileSync("dropbearkey", ["-y", "-f", join(LAB.state, "keys", model, file)], { encoding: "utf8" });
  return /Fingerprint: (SHA256:\S+)/.exec(out)![1]!;
}

describe.skipIf(lab.skip)(`unique per device in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  it("finds unit 2 of the plug sharing unit 1's SSH host keys, TLS certificate and passwords", async () => {
    const ctx = await scanned("vuln");
    // Telnet and SSH for the passwords: the web login sits at /admin/, which the scan sees as a redirect
    const all = ctx.facts.get("tcp.services")!;
    await tls.run(ctx);
    ctx.facts.set("tcp.services", all.filter((s) => ["ssh", "telnet"].includes(s.name)));
    await defaultPasswords.run(ctx);
    ctx.facts.set("tcp.services", all);
    const outcome = await uniquePerDevice.run(ctx);

    expect(outcome.verdict).toBe("fail");
    const titles = outcome.findings?.map((f) => f.title);
    expect(titles).toEqual(expect.arrayContaining([
      "unit lab-smartplug-unit2 (198.18.0.11) presents the same SSH ssh-ed25519 host key as this unit on port 22",
      "unit lab-smartplug-unit2 (198.18.0.11) presents the same SSH ssh-rsa host key as this unit on port 22",
      "unit lab-smartplug-unit2 (198.18.0.11) presents the same TLS certificate as this unit on port 443",
      'unit lab-smartplug-unit2 (198.18.0.11) accepts the same default password for "root" on telnet port 23',
      'unit lab-smartplug-unit2 (198.18.0.11) accepts this unit\'s declared per-unit password for "admin" on ssh port 22',
    ]));
    // Unit 2 runs no MQTT: the certificate on 8883 could not be compared, and that is said
    const comparisons = outcome.evidence?.comparisons as { what: string; port: number; result: string }[];
    expect(comparisons.find((c) => c.port === 8883)).toMatchObject({ result: "not compared" });
    // The fingerprints are those of the model's key files
    const fingerprint = (type: string) => outcome.findings?.find((f) => f.title.includes(`SSH ${type} host key`))?.evidence?.fingerprint;
    expect(fingerprint("ssh-ed25519")).toBe(labKeyFingerprint("smartplug-p1", "ssh_host_ed25519"));
    expect(fingerprint("ssh-rsa")).toBe(labKeyFingerprint("smartplug-p1", "ssh_host_rsa"));
  }, LAB_TIMEOUT_MS);

  it("finds nothing shared between the thermostat and the plug, which differ", async () => {
    const hard = await loadDescriptor(LAB.hard.descriptor);
    const ctx = await scanned("hard", { ...hard, siblings: [{ id: "plug", address: LAB.vuln.address }] });
    await tls.run(ctx);
    ctx.facts.set("credentials.accepted", []);
    const outcome = await uniquePerDevice.run(ctx);

    expect(outcome.findings ?? []).toEqual([]);
    const comparisons = outcome.evidence?.comparisons as { what: string; port: number; result: string }[];
    expect(comparisons.filter((c) => c.result === "shared")).toEqual([]);
    expect(comparisons).toEqual(expect.arrayContaining([
      expect.objectContaining({ what: "SSH ssh-ed25519 host key", port: 22, result: "different" }),
      expect.objectContaining({ what: "TLS certificate", port: 443, result: "different" }),
      expect.objectContaining({ what: "TLS public key", port: 8883, result: "different" }),
    ]));
    expect(outcome.verdict).toBe("pass");
  }, LAB_TIMEOUT_MS);
});

describe.skipIf(lab.skip)(`brute-force protection in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  let ctx: TestContext;
  let found: Service[];
  beforeAll(async () => {
    ctx = await scanned("vuln");
    found = ctx.facts.get("tcp.services")!;
  }, LAB_TIMEOUT_MS);

  const on = async (names: string[]) => {
    ctx.facts.set("tcp.services", found.filter((s) => names.includes(s.name)));
    const outcome = await bruteforceProtection.run(ctx);
    return { outcome, services: outcome.evidence?.services as Record<string, unknown>[] };
  };

  it("passes vsftpd, which pauses about 3 s (delay_failed_login) after each wrong password, per connection", async () => {
    const { outcome, services: [ftp] } = await on(["ftp"]);
    expect(outcome.verdict).toBe("pass");
    expect(ftp).toMatchObject({ service: "ftp", port: 21, protection: "delays-failures", answered: 4 });
    expect(ftp!.medianMs as number).toBeGreaterThanOrEqual(LAB.ftpFailedLoginDelayS * 1000);
    // The pause holds per connection only: parallel wrong passwords all came back within one pause
    expect(ftp!.parallel).toMatchObject({ perConnection: true });
    expect(outcome.findings).toEqual([expect.objectContaining({ severity: "low", title: "ftp on port 21 delays each wrong password only per connection: several sent at once are answered at once" })]);
  }, LAB_TIMEOUT_MS);

  it("fails mosquitto's password listener and dropbear, which answer at full speed", async () => {
    const { outcome, services: measured } = await on(["mqtts", "ssh"]);
    expect(outcome.verdict).toBe("fail");
    expect(measured.map((s) => [s.service, s.port, s.protection, s.answered])).toEqual([["ssh", 22, "none", 4], ["mqtts", 8883, "none", 4]]);
    for (const s of measured) expect(s.medianMs as number).toBeLessThan(800);
    expect(outcome.findings?.map((f) => f.severity)).toEqual(["medium", "medium"]);
  }, LAB_TIMEOUT_MS);

  it("counts busybox login's 3 s pause after a wrong password as a delay", async () => {
    const { outcome, services: [telnet] } = await on(["telnet"]);
    expect(outcome.verdict).toBe("pass");
    expect(telnet).toMatchObject({ service: "telnet", port: 23, protection: "delays-failures", answered: 4 });
    expect(telnet!.medianMs as number).toBeGreaterThanOrEqual(3000);
  }, LAB_TIMEOUT_MS);

  it("leaves out mosquitto's anonymous listener: it takes any password", async () => {
    const { outcome, services: [mqtt] } = await on(["mqtt"]);
    expect(outcome.verdict).toBe("not-applicable");
    expect(mqtt).toMatchObject({ port: 1883, skipped: "it accepted a random password: it has no password to protect" });
  }, LAB_TIMEOUT_MS);
});
