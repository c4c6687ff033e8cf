// serial.boot-log-secrets over real pseudo-terminals: a scripted device that boots when the check
// says it is listening (the lab's power switch), through a U-Boot-like bootloader into a Linux
// boot log, with and without secrets in it, and one behind a UART at 57600 baud.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bootLogSecrets } from "../harness/checks/serial/boot-log-secrets.js";
import type { Descriptor } from "../harness/schema/types.js";
import { redactReport } from "../reports/redact.js";
import { makeContext, type TestContext } from "./helpers/context.js";
import { needs, ptyConsolesMissing, scriptAtSpeed, scriptConsole, silentConsole, type PtyConsole } from "./helpers/pty-console.js";
import { sampleReport } from "./helpers/sample-report.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

async function booting(console: Promise<PtyConsole>, bootLog: string): Promise<PtyConsole> {
  const c = await console;
  cleanup.push(c.stop);
  writeFileSync(join(c.dir, "boot.log"), bootLog);
  return c;
}

const device = (path: string, baudRate: number | "auto" = 115200): Descriptor => ({
  id: "camera-unit1", vendor: "Acme", model: "Cam", firmware: "2.4", serial: { path, baudRate },
});

/** The lab power-cycles the device when the check says it is listening. */
function powerCycledBy(c: PtyConsole, baudRate?: number | "auto"): TestContext {
  const ctx = makeContext({ device: device(c.path, baudRate), checkId: bootLogSecrets.id });
  return { ...ctx, progress: () => c.powerOn() };
}

const KERNEL = [
  "[    0.000000] Booting Linux on physical CPU 0x0",
  "[    0.000000] Linux version 5.10.110 (builder@ci) #1 SMP PREEMPT",
  "[    0.000000] Kernel command line: console=ttyS0,115200 root=/dev/mtdblock4 rootfstype=squashfs",
  "[    1.204000] mtd: partition \"config\" found",
];

const LEAKY = [
  ...KERNEL,
  "wifi: loading config: wifi_ssid=HomeNet",
  "wifi_key=Sup3rS3cretPSK!",
  "wlan_psk=********",
  "cloud: connecting to mqtts://iot.acme.example:8883 with cloud_token=tk_live_9f8e7d6c5b4a3210",
  "cloud: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW1lcmEtMDAxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
  "s3: uploading snapshots as AKIAIOSFODNN7EXAMPLE",
  "httpd: admin_passwd=camera2024",
  "-----BEGIN EC PRIVATE KEY-----",
  "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oBHnQzpX3ZvcoAoGCCqGSM49",
  "AwEHoUQDQgAEZz6o2bQ2r5X8ZGEtJ0MrHvdrPjRkq3rQ5XJ0t9rXlbmZJc3V7g5a",
  "-----END EC PRIVATE KEY-----",
  "Please enter Password: ",
  "Starting dropbear sshd: OK",
].join("\n") + "\n";

const CLEAN = [...KERNEL, "wifi: loading config: wlan_psk=********", "Starting dropbear sshd: OK"].join("\n") + "\n";

// A router-like device whose init prints the Wi-Fi configuration it writes, the way
// wpa_supplicant.conf and hostapd.conf hold it, and its environment and nvram
const WIFI = [
  ...KERNEL,
  "init: writing /tmp/wpa_supplicant.conf",
  "network={",
  '\tssid="HomeNet"',
  '\tpsk="correct horse battery staple"',
  "}",
  "init: writing /tmp/hostapd.conf",
  "interface=wlan0",
  "wpa_passphrase=Guest Net 2024!",
  "sae_password=wpa3-secret-key",
  "wpa_psk=0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
  "env: WIFI_PASSWORD=HomeNet2024!",
  "nvram: wl1_wpa_psk=Backhaul-5GHz-key",
  "nvram: wl0_wpa_psk=********",
  "Starting dropbear sshd: OK",
].join("\n") + "\n";

const [title, skip] = needs("serial.boot-log-secrets over ptys", ptyConsolesMissing());

describe.skipIf(skip)(title, () => {
  it("fails a boot log that prints a private key, a Wi-Fi key, a password and tokens, each under a redactable key", async () => {
    const c = await booting(scriptConsole("uboot.sh"), LEAKY);
    const outcome = await bootLogSecrets.run(powerCycledBy(c));

    expect(outcome.verdict).toBe("fail");
    expect(outcome.evidence).toMatchObject({ path: c.path, baudRate: 115200, ended: "prompt" });
    const found = (outcome.findings ?? []).map((f) => [f.severity, f.evidence?.pattern]);
    expect(found).toEqual([
      ["critical", "private-key"],
      ["high", "wifi-psk"],
      ["high", "password"],
      ["high", "aws-access-key"],
      ["high", "jwt"],
      ["high", "token"],
    ]);
    const evidence = (outcome.findings ?? []).map((f) => f.evidence!);
    expect(evidence[0]).toMatchObject({ privateKey: expect.stringMatching(/^-----BEGIN EC PRIVATE KEY-----\\r\\nMHcCAQ.*-----END EC PRIVATE KEY-----$/) });
    expect(evidence[1]).toMatchObject({ psk: "Sup3rS3cretPSK!", context: "wifi_key=[secret]" });
    expect(evidence[2]).toMatchObject({ password: "camera2024", context: "httpd: admin_passwd=[secret]" });
    expect(evidence[3]).toMatchObject({ apiKey: "AKIAIOSFODNN7EXAMPLE" });
    expect(evidence[4]).toMatchObject({ token: expect.stringMatching(/^eyJhbGciOiJIUzI1NiJ9\./) });
    expect(evidence[5]).toMatchObject({ token: "tk_live_9f8e7d6c5b4a3210" });
    // Titles never carry the secret; --redact hides every one of them
    for (const f of outcome.findings!) expect(f.title).toMatch(/^the boot log on .* prints .* \(line \d+\)$/);
    const report = redactReport(sampleReport({ findings: outcome.findings!.map((f) => ({ ...f, check: bootLogSecrets.id })) }));
    expect(JSON.stringify(report.findings)).not.toMatch(/Sup3rS3cretPSK|camera2024|AKIAIOSFODNN7EXAMPLE|tk_live|eyJhbGci|MHcCAQ/);
  });

  it("fails a boot log that prints Wi-Fi keys as wpa_supplicant, hostapd, the environment and nvram hold them", async () => {
    const c = await booting(scriptConsole("uboot.sh"), WIFI);
    const outcome = await bootLogSecrets.run(powerCycledBy(c));

    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toBe(`the boot log on ${c.path} prints a Wi-Fi pre-shared key`);
    const found = (outcome.findings ?? []).map((f) => [f.severity, f.evidence?.psk, f.evidence?.context]);
    expect(found).toEqual([
      ["high", "correct horse battery staple", '\\x09psk="[secret]"'],
      ["high", "Guest Net 2024!", "wpa_passphrase=[secret]"],
      ["high", "wpa3-secret-key", "sae_password=[secret]"],
      ["high", "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", "wpa_psk=[secret]"],
      ["high", "HomeNet2024!", "env: WIFI_PASSWORD=[secret]"],
      ["high", "Backhaul-5GHz-key", "nvram: wl1_wpa_psk=[secret]"],
    ]);
    for (const f of outcome.findings!) expect(f.title).toMatch(/^the boot log on .* prints a Wi-Fi pre-shared key \(line \d+\)$/);
    const report = redactReport(sampleReport({ findings: outcome.findings!.map((f) => ({ ...f, check: bootLogSecrets.id })) }));
    expect(JSON.stringify(report.findings)).not.toMatch(/horse battery|Guest Net|wpa3-secret|0a1b2c3d|HomeNet2024|Backhaul/);
  });

  it("passes a boot log without secrets, ignoring masked values and a password prompt", async () => {
    const c = await booting(scriptConsole("uboot.sh"), CLEAN);
    const outcome = await bootLogSecrets.run(powerCycledBy(c));
    expect(outcome).toMatchObject({ verdict: "pass", evidence: { ended: "prompt", baudRate: 115200 } });
    expect(outcome.summary).toMatch(/^no secret in the \d+ lines .* printed while the check listened \(ended: prompt\)$/);
    expect(outcome.findings).toBeUndefined();
  });

  it("finds 57600 baud from the log itself when the descriptor says auto, searching what followed", async () => {
    const c = await booting(scriptAtSpeed("linux-boot.sh", 57600), LEAKY);
    const outcome = await bootLogSecrets.run(powerCycledBy(c, "auto"));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.evidence).toMatchObject({ baudRate: 57600, bytesBeforeSpeedFound: expect.any(Number) });
    expect(outcome.findings?.map((f) => f.evidence?.pattern)).toContain("private-key");
  });

  it("is inconclusive when the adapter is unplugged before the device says anything", async () => {
    const c = await silentConsole();
    const ctx = makeContext({ device: device(c.path), checkId: bootLogSecrets.id });
    const outcome = await bootLogSecrets.run({ ...ctx, progress: () => void setTimeout(() => void c.stop(), 500) });
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/no boot log on .*: it sent nothing — was the device power-cycled while the check listened\?/);
    expect(outcome.evidence).toMatchObject({ bytes: 0, ended: "closed" });
  });

  it("stops listening when the run is aborted", async () => {
    const c = await booting(silentConsole(), "");
    const ctx = makeContext({ device: device(c.path), checkId: bootLogSecrets.id });
    setTimeout(() => ctx.abort(new Error("interrupted")), 300);
    await expect(bootLogSecrets.run(ctx)).rejects.toMatchObject({ kind: "aborted" });
  });
});
