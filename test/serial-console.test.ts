// serial.console-access over real pseudo-terminals: busybox getty and login in a mount namespace
// with their own accounts, a shell, a scripted U-Boot-like bootloader, a console that only logs,
// one that says nothing, and a shell behind a UART at 57600 baud for `baudRate: auto`.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { consoleAccess } from "../harness/checks/serial/console-access.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor } from "../harness/schema/types.js";
import { openSerial } from "../harness/transports/serial.js";
import { makeContext, type TestContext, sentProbes } from "./helpers/context.js";
import {
  loginConsole, loginConsoleMissing, needs, ptyConsolesMissing, scriptAtSpeed, scriptConsole, silentConsole, type PtyConsole,
} from "./helpers/pty-console.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

async function started(console: Promise<PtyConsole>): Promise<PtyConsole> {
  const c = await console;
  cleanup.push(c.stop);
  return c;
}

const device = (path: string, baudRate: number | "auto" = 115200): Descriptor => ({
  id: "camera-unit1", vendor: "Acme", model: "Cam", firmware: "2.4", serial: { path, baudRate },
});

function contextFor(c: PtyConsole, options: { baudRate?: number | "auto"; pace?: Pace; powerOnWhenListening?: boolean } = {}): TestContext {
  const ctx = makeContext({ device: device(c.path, options.baudRate), checkId: consoleAccess.id, ...(options.pace ? { pace: options.pace } : {}) });
  // The lab switches the device on when the check says it is listening
  return options.powerOnWhenListening ? { ...ctx, progress: () => c.powerOn() } : ctx;
}

const [ptyTitle, noPty] = needs("serial.console-access over ptys", ptyConsolesMissing());

describe.skipIf(noPty)(ptyTitle, () => {
  it("fails a console that drops into a shell without a login, identified with id", async () => {
    const c = await started(scriptConsole("root-shell.sh"));
    const ctx = contextFor(c);
    const outcome = await consoleAccess.run(ctx);

    const root = process.getuid?.() === 0;
    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toMatch(root ? /gives a root shell without a login/ : /gives a shell as/);
    expect(outcome.findings?.[0]).toMatchObject({
      severity: root ? "critical" : "high",
      target: { transport: "serial", address: c.path },
      evidence: { shell: { root, uid: process.getuid?.(), by: "id" }, baudRate: 115200 },
    });
    // What it wrote: Enter, then `id`, and nothing else
    expect(sentProbes(ctx.ledger)).toEqual([
      { check: consoleAccess.id, address: c.path, ports: "", protocol: "serial", count: 1 },
      { check: consoleAccess.id, address: c.path, ports: "", protocol: "serial-write", count: 2 },
    ]);
  });

  it("stops a U-Boot autoboot countdown, fails, and tells the bootloader to boot on", async () => {
    const c = await started(scriptConsole("uboot.sh"));
    writeFileSync(join(c.dir, "boot.log"), "[    0.000000] Linux version 5.10.0\n");
    const outcome = await consoleAccess.run(contextFor(c, { powerOnWhenListening: true }));

    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toBe(`U-Boot on ${c.path} stops its autoboot countdown on a key press and offers its command prompt`);
    expect(outcome.findings?.[0]).toMatchObject({
      severity: "high",
      evidence: { bootloader: "U-Boot", stoppedByUs: true, resumed: true, transcript: expect.stringContaining("Hit any key to stop autoboot") },
    });
    // The only command the bootloader got is the one that boots it on
    await expect.poll(() => readFileSync(join(c.dir, "commands"), "utf8")).toBe("boot\n");
  });

  it("passes a console that only prints a log, saying it offered no prompt", async () => {
    const c = await started(scriptConsole("log-only.sh"));
    const outcome = await consoleAccess.run(contextFor(c));
    expect(outcome.verdict).toBe("pass");
    expect(outcome.summary).toMatch(/prints text but offered no shell, login or bootloader prompt/);
    expect(outcome.findings).toEqual([expect.objectContaining({ severity: "info", evidence: expect.objectContaining({ transcript: expect.stringContaining("[sensor] temperature=21.5C") }) })]);
  });

  it("is inconclusive on a console that says nothing: disabled and unwired look alike", async () => {
    const c = await started(silentConsole());
    const outcome = await consoleAccess.run(contextFor(c));
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/said nothing at any line speed tried: it is disabled, or the adapter is not wired to it/);
  });

  it("finds the line speed of a console at 57600 baud when the descriptor says auto", async () => {
    const c = await started(scriptAtSpeed("root-shell.sh", 57600));
    const outcome = await consoleAccess.run(contextFor(c, { baudRate: "auto" }));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.evidence).toMatchObject({ baudRate: 57600, shell: { by: "id" }, transcript: expect.stringContaining("uid=") });
  });

  it("refuses a serial path other than the descriptor's, before opening it", async () => {
    const c = await started(silentConsole());
    const ctx = contextFor(c);
    await expect(openSerial(ctx, "/dev/ttyS0", 115200)).rejects.toMatchObject({ kind: "out-of-scope" });
    expect(ctx.ledger.all()).toEqual([]);
  });

  it("is inconclusive, not crashing, when the descriptor's port does not exist", async () => {
    const outcome = await consoleAccess.run(makeContext({ device: device("/nonexistent/ttyUSB9") }));
    expect(outcome).toMatchObject({ verdict: "inconclusive", summary: expect.stringMatching(/^could not open the serial port: .*No such file or directory, cannot open \/nonexistent\/ttyUSB9$/) });
  });

  it("stops when the run is aborted", async () => {
    const c = await started(silentConsole());
    const ctx = contextFor(c);
    setTimeout(() => ctx.abort(new Error("interrupted")), 300);
    await expect(consoleAccess.run(ctx)).rejects.toMatchObject({ kind: "aborted" });
  });
});

const [loginTitle, noLogin] = needs("serial.console-access against busybox getty and login", loginConsoleMissing());

describe.skipIf(noLogin)(loginTitle, () => {
  it("logs in with Mirai's admin/admin after three refusals, identifies the shell and logs out", async () => {
    const c = await started(loginConsole({ root: "a-unique-root-password-9f3k", admin: "admin" }));
    const outcome = await consoleAccess.run(contextFor(c));

    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toBe(`the serial console on ${c.path} accepts a default password for "admin" (not root)`);
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "critical",
      title: `the serial console on ${c.path} accepts a default password for "admin"`,
      evidence: expect.objectContaining({
        username: "admin", password: "admin", source: "mirai", attemptsBeforeSuccess: 3,
        shell: { root: false, uid: 1001, user: "admin", by: "id" },
        transcript: expect.stringContaining("camera login: "),
      }),
    })]);
    expect(outcome.evidence).toMatchObject({ login: { tried: 4 } });
  }, 60_000);

  it("passes a login that refuses every default pair tried, noting the console is enabled", async () => {
    const c = await started(loginConsole({ root: "a-unique-root-password-9f3k" }));
    const outcome = await consoleAccess.run(contextFor(c, { pace: Pace.named("fast", { attemptsPerService: 2 }) }));

    expect(outcome.verdict).toBe("pass");
    expect(outcome.summary).toBe(`the serial console on ${c.path} asks for a login and refused all 2 default pairs tried`);
    expect(outcome.findings).toEqual([expect.objectContaining({ severity: "low", title: `the serial console on ${c.path} is enabled, behind a login prompt` })]);
  }, 60_000);
});
