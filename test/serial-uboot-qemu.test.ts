// The serial checks against a real U-Boot: Debian's build for QEMU's ARM virt board, its UART on a
// pty, switched on when a check says it is listening.
import { afterEach, describe, expect, it } from "vitest";
import { bootLogSecrets } from "../harness/checks/serial/boot-log-secrets.js";
import { consoleAccess } from "../harness/checks/serial/console-access.js";
import type { Check } from "../harness/core/types.js";
import { makeContext } from "./helpers/context.js";
import { needs } from "./helpers/pty-console.js";
import { qemuUbootMissing, startQemuUboot } from "./helpers/qemu-uboot.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

async function runAgainstUboot(check: Check) {
  const board = await startQemuUboot();
  cleanup.push(board.stop);
  const ctx = makeContext({
    device: { id: "virt-unit1", vendor: "QEMU", model: "virt", firmware: "u-boot", serial: { path: board.path, baudRate: 115200 } },
    checkId: check.id,
  });
  return { board, outcome: await check.run({ ...ctx, progress: () => board.powerOn() }) };
}

const [title, skip] = needs("serial checks against a real U-Boot under QEMU", qemuUbootMissing());

describe.skipIf(skip)(title, () => {
  it("serial.console-access stops U-Boot's autoboot countdown and tells it to boot on", async () => {
    const { board, outcome } = await runAgainstUboot(consoleAccess);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toBe(`U-Boot on ${board.path} stops its autoboot countdown on a key press and offers its command prompt`);
    expect(outcome.evidence).toMatchObject({
      bootloader: "U-Boot", stoppedByUs: true, resumed: true,
      transcript: expect.stringMatching(/U-Boot 20\d\d\.\d\d.*Hit any key to stop autoboot/),
    });
  });

  it("serial.boot-log-secrets reads U-Boot's boot to its prompt and finds no secret in it", async () => {
    const { outcome } = await runAgainstUboot(bootLogSecrets);
    expect(outcome).toMatchObject({ verdict: "pass", evidence: { ended: "prompt", baudRate: 115200 } });
  });
});
