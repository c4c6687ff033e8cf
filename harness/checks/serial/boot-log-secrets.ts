// serial.boot-log-secrets: does the device print secrets on its serial console while it boots —
// private keys, passwords, Wi-Fi keys, tokens (EN 303 645 provision 5.4-1)? Anyone with a
// USB-UART adapter and the device to themselves for a minute reads them.
import { TransportError } from "../../core/errors.js";
import { findSecrets, type Leak } from "../../core/secrets.js";
import type { Check, FindingInput } from "../../core/types.js";
import { openSerial, type SerialConsole } from "../../transports/serial.js";
import { escapeBytes } from "../../transports/tcp.js";
import { captureBootLog, type BootLog } from "./boot-log.js";
import { commonBaudRates, looksLikeText } from "./console-text.js";

/** Boot logs of Linux devices run to some 100 KiB; past this the rest is not read. */
const LOG_BYTES = 512 * 1024;
/** Long enough for the lab to power-cycle the device and for it to boot. */
const WINDOW_MS = 120_000;
/** Pauses inside a boot (loading a kernel from flash, waiting for a network) stay under this. */
const QUIET_MS = 15_000;
/** A secret's value in evidence, escaped; a PEM private key fits. */
const SECRET_CHARS = 8192;

const escape = (text: string, max: number) => escapeBytes(Buffer.from(text, "latin1"), max);

function findingOf(leak: Leak, path: string): FindingInput {
  return {
    severity: leak.pattern.severity,
    title: `the boot log on ${path} prints ${leak.pattern.title} (line ${leak.line})`,
    target: { transport: "serial", address: path, service: "console" },
    evidence: { path, pattern: leak.pattern.id, line: leak.line, context: leak.context, [leak.pattern.key]: escape(leak.value, SECRET_CHARS) },
  };
}

function measure(log: BootLog): { bytes: number; lines: number; baudRate?: number; bytesBeforeSpeedFound?: number; ended: BootLog["ended"] } {
  return {
    bytes: Buffer.byteLength(log.text, "latin1"),
    lines: log.text ? log.text.split("\n").length : 0,
    ...(log.baudRate ? { baudRate: log.baudRate } : {}),
    ...(log.lostBytes ? { bytesBeforeSpeedFound: log.lostBytes } : {}),
    ended: log.ended,
  };
}

export const bootLogSecrets: Check = {
  id: "serial.boot-log-secrets",
  title: "The boot log prints no secrets",
  description:
    "Listens on the descriptor's serial port while the lab power-cycles the device (the progress line says when), " +
    "captures the boot log — up to 512 KiB, ending at the first prompt or after 15 s of silence — and fails on " +
    "private keys, passwords, Wi-Fi keys and tokens printed in it (patterns in harness/data/boot-log-secrets.yaml). " +
    "It sends nothing. With `baudRate: auto` the speed is found from the first bytes of the log.",
  effect: "observe",
  needs: ["serial"],
  timeoutMs: WINDOW_MS + 60_000,

  plan(device) {
    const serial = device.serial;
    return serial ? [{ address: serial.path, port: "-", protocol: "serial", count: 1, note: "listens only; power-cycle the device when asked" }] : [];
  },

  async run(ctx) {
    const serial = ctx.device.serial;
    if (!serial) return { verdict: "not-applicable", summary: "the device has no serial console" };
    const rates = serial.baudRate === "auto" ? commonBaudRates() : [serial.baudRate];
    let con: SerialConsole;
    try {
      con = await openSerial(ctx, serial.path, rates[0]!);
    } catch (err) {
      if (!(err instanceof TransportError) || err.kind === "aborted" || err.kind === "out-of-scope") throw err;
      return { verdict: "inconclusive", summary: `could not open the serial port: ${err.message}` };
    }
    let log: BootLog;
    try {
      ctx.progress(`power-cycle the device now: listening on ${serial.path} for its boot log (${WINDOW_MS / 1000} s)`);
      log = await captureBootLog(con, rates, { maxBytes: LOG_BYTES, windowMs: WINDOW_MS, quietMs: QUIET_MS });
    } catch (err) {
      if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
      return { verdict: "inconclusive", summary: `${serial.path}: ${err.message}` };
    } finally {
      con.close();
    }

    const evidence = { path: serial.path, ...measure(log) };
    if (!log.text || !looksLikeText(Buffer.from(log.text.slice(0, 4096), "latin1"))) {
      const why = log.lostBytes || log.text ? "nothing it sent read as text at the line speeds tried" : "it sent nothing";
      return { verdict: "inconclusive", summary: `no boot log on ${serial.path}: ${why} — was the device power-cycled while the check listened?`, evidence };
    }
    const leaks = findSecrets(log.text);
    if (leaks.length) {
      const what = [...new Set(leaks.map((l) => l.pattern.title))].join(", ");
      return { verdict: "fail", summary: `the boot log on ${serial.path} prints ${what}`, findings: leaks.map((l) => findingOf(l, serial.path)), evidence };
    }
    // Whether the lines were a whole boot is the lab's to see (it power-cycled, or not): say what was read
    return { verdict: "pass", summary: `no secret in the ${evidence.lines} lines ${serial.path} printed while the check listened (ended: ${log.ended})`, evidence };
  },
};
