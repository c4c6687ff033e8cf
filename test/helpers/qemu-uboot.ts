// A real bootloader on a serial console: Debian's U-Boot build for QEMU's ARM "virt" board
// (u-boot-qemu), run by qemu-system-arm with its UART on a pty. QEMU starts halted (-S) and runs
// when powerOn() sends "cont" to its monitor, as the lab switches a device on when asked.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const UBOOT = "/usr/lib/u-boot/qemu_arm/u-boot.bin";

/** Why the real U-Boot cannot run here; undefined when it can. */
export function qemuUbootMissing(): string | undefined {
  try {
    execFileSync("sh", ["-c", "command -v qemu-system-arm"]);
  } catch {
    return "qemu-system-arm is not installed (apt-get install qemu-system-arm)";
  }
  return existsSync(UBOOT) ? undefined : `${UBOOT} is missing (apt-get install u-boot-qemu)`;
}

export interface QemuUboot {
  /** The pty QEMU put the board's UART on. */
  path: string;
  powerOn(): void;
  stop(): Promise<void>;
}

export async function startQemuUboot(): Promise<QemuUboot> {
  const dir = mkdtempSync(join(tmpdir(), "iotcert-qemu-"));
  const monitor = join(dir, "monitor");
  // No network card: the virt board's default one wants an option ROM Debian ships separately
  const qemu = spawn("qemu-system-arm", [
    "-M", "virt", "-bios", UBOOT, "-nographic", "-display", "none", "-nic", "none", "-S",
    "-serial", "pty", "-monitor", `unix:${monitor},server,nowait`,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let said = "";
  const stop = async () => {
    if (qemu.exitCode === null && qemu.signalCode === null) {
      const exited = new Promise((r) => qemu.once("exit", r));
      qemu.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const path = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`QEMU named no pty within 10 s: ${said}`)), 10_000);
      const listen = (d: Buffer) => {
        said += d.toString();
        const pty = /char device redirected to (\/dev\/pts\/\d+)/.exec(said);
        if (pty) {
          clearTimeout(timer);
          resolve(pty[1]!);
        }
      };
      qemu.stdout.on("data", listen);
      qemu.stderr.on("data", listen);
      qemu.once("exit", (code) => reject(new Error(`QEMU exited ${code}: ${said}`)));
    });
    const powerOn = () => {
      const socket = connect(monitor, () => socket.end("cont\n"));
      socket.on("error", () => {});
    };
    return { path, powerOn, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
