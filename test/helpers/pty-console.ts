// Real consoles on pseudo-terminals for the serial tests. socat joins a pty — the "serial port" a
// check opens, at <dir>/ttyUSB0 — to a real program on a pty of its own with a controlling
// terminal, as a USB-UART adapter joins the lab machine to a device's console: busybox getty and
// login, a shell, a scripted bootloader (see consoles/).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const CONSOLES = fileURLToPath(new URL("consoles/", import.meta.url));

function onPath(command: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Why consoles on ptys cannot run here; undefined when they can. */
export function ptyConsolesMissing(): string | undefined {
  return onPath("socat") ? undefined : "socat is not installed (apt-get install socat)";
}

/** Why the busybox login console cannot run here; undefined when it can. */
export function loginConsoleMissing(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root: busybox login, and a mount namespace for the console's own /etc/passwd";
  if (!onPath("unshare")) return "unshare is not installed (util-linux)";
  const busybox = onPath("busybox");
  const applets = busybox ? execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n") : [];
  if (!applets.includes("getty") || !applets.includes("login")) return "busybox with getty and login is not installed (apt-get install busybox-static)";
  return ptyConsolesMissing();
}

/**
 * The describe() title and skip flag for tests that need `missing` to be undefined. On CI
 * (CI=true) nothing is skipped: a missing tool fails the tests instead of hiding them.
 */
export function needs(title: string, missing: string | undefined): [string, boolean] {
  const skip = !!missing && process.env.CI !== "true";
  return [skip ? `${title} (skipped: ${missing})` : title, skip];
}

export interface PtyConsole {
  /** The check's end: what the descriptor's serial.path names. */
  path: string;
  /** A scratch folder the far-end program shares with the test (CONSOLE_DIR). */
  dir: string;
  /** Throw the power switch of consoles that wait for it (uboot.sh). */
  powerOn(): void;
  stop(): Promise<void>;
}

interface Far {
  /** The far-end program and its arguments (socat EXEC; no commas, colons or quotes). */
  program: string[];
  /** Run socat under this prefix (unshare … in-namespace.sh). */
  wrap?: string[];
  /** No terminal on the far end, only a byte stream: for programs that do a line's work themselves. */
  bytes?: boolean;
}

async function waitFor(path: string, child: ChildProcess, errors: () => string): Promise<void> {
  for (let waited = 0; waited < 5000; waited += 20) {
    if (existsSync(path)) return;
    if (child.exitCode !== null) throw new Error(`socat exited ${child.exitCode}: ${errors()}`);
    await sleep(20);
  }
  throw new Error(`${path} did not appear: ${errors()}`);
}

function start(dir: string, far: Far | undefined): Promise<PtyConsole> {
  const path = join(dir, "ttyUSB0");
  const farEnd = !far
    ? `pty,raw,echo=0,link=${join(dir, "far")}`
    : far.bytes
      ? `EXEC:${far.program.join(" ")},stderr`
      : `EXEC:${far.program.join(" ")},pty,setsid,ctty,stderr,sane`;
  const command = [...(far?.wrap ?? []), "socat", `pty,raw,echo=0,link=${path}`, farEnd];
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, CONSOLE_DIR: dir },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let errors = "";
  child.stderr!.on("data", (d: Buffer) => (errors = (errors + d.toString()).slice(-2000)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return waitFor(path, child, () => errors).then(
    () => ({ path, dir, stop, powerOn: () => writeFileSync(join(dir, "power"), "") }),
    async (err) => {
      await stop();
      throw err;
    },
  );
}

const scratch = () => mkdtempSync(join(tmpdir(), "iotcert-serial-"));

/** A pty with nothing on the far end: a console that is wired but says nothing. */
export const silentConsole = () => start(scratch(), undefined);

/** A pty with `script` (a file in consoles/) on the far end, run by /bin/sh. */
export const scriptConsole = (script: string) => start(scratch(), { program: ["/bin/sh", join(CONSOLES, script)] });

/** `script` (a file in consoles/) behind a UART at `baud`: any other line speed hears noise (consoles/uart-at.mjs). */
export function scriptAtSpeed(script: string, baud: number): Promise<PtyConsole> {
  const dir = scratch();
  const program = [process.execPath, join(CONSOLES, "uart-at.mjs"), String(baud), join(dir, "ttyUSB0"), "/bin/sh", join(CONSOLES, script)];
  return start(dir, { program, bytes: true });
}

/**
 * busybox getty and login on the far end, in a mount namespace where /etc/passwd and /etc/shadow
 * are this console's own: `accounts` maps user names to passwords (hashed with busybox mkpasswd).
 */
export function loginConsole(accounts: Record<string, string>): Promise<PtyConsole> {
  const dir = scratch();
  const users = Object.keys(accounts);
  const hash = (password: string) => execFileSync("busybox", ["mkpasswd", "-m", "sha512", password], { encoding: "utf8" }).trim();
  writeFileSync(join(dir, "passwd"), users.map((u, i) => `${u}:x:${u === "root" ? 0 : 1000 + i}:${u === "root" ? 0 : 1000 + i}:${u}:/:/bin/sh\n`).join(""));
  writeFileSync(join(dir, "shadow"), users.map((u) => `${u}:${hash(accounts[u]!)}:19000:0:99999:7:::\n`).join(""));
  writeFileSync(join(dir, "issue"), "Camera OS 2.4 \\n \\l\n\n");
  symlinkSync(onPath("busybox")!, join(dir, "login"));
  return start(dir, {
    program: ["/bin/sh", join(CONSOLES, "getty-loop.sh")],
    wrap: ["unshare", "--mount", "--uts", "--propagation", "private", "/bin/sh", join(CONSOLES, "in-namespace.sh")],
  });
}
