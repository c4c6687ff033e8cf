// A device whose UART runs at one line speed, in front of a real program. A pty carries any
// speed, so this reproduces what a wrong speed does on a real line: it reads the speed the check
// set on its end of the pty (stty -F) and, unless it matches, turns what the program says into
// line noise and what the check sends into nothing the program understands.
// Usage: node uart-at.mjs <baud> <check-side pty> <program> [args…]
import { execFileSync, spawn } from "node:child_process";

const [speed, ptyPath, program, ...args] = process.argv.slice(2);
const atSpeed = () => execFileSync("stty", ["-F", ptyPath, "speed"], { encoding: "utf8" }).trim() === speed;
const noise = (data) => Buffer.from(data.map((byte) => 0x80 | ((byte * 37) & 0x7f)));

const child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"] });
const out = (data) => process.stdout.write(atSpeed() ? data : noise(data));
child.stdout.on("data", out);
child.stderr.on("data", out);
child.on("exit", (code) => process.exit(code ?? 1));
// No terminal turns a console's Enter (CR) into the end of a line here: do it for the shell
process.stdin.on("data", (data) => {
  if (atSpeed()) child.stdin.write(Buffer.from(data.toString("latin1").replace(/\r/g, "\n"), "latin1"));
});
