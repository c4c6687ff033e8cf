// serial.console-access: what does someone who wires up the device's serial console get — a shell
// without a login, a login that takes a default password, a bootloader that stops on a key, or
// nothing (EN 303 645 provisions 5.6-4 and 5.1-1)?
import { TransportError } from "../../core/errors.js";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import { openSerial, type SerialConsole } from "../../transports/serial.js";
import { identifyShell, readToPrompt, Transcript, type PromptStep, type ShellIdentity } from "./console-dialogue.js";
import { autobootIn, bootloaderAtEnd, commonBaudRates, looksLikeText, promptOf } from "./console-text.js";
import { REPLY_TIMEOUT_MS, tryDefaultLogins, type SerialLoginResult } from "./serial-login.js";

/** What a console may print while we only listen, before we press Enter. */
const LISTEN_BYTES = 64 * 1024;
/** How long a console may take to answer Enter at each line speed. */
const ANSWER_TIMEOUT_MS = 2000;
/** A boot that went on past its countdown reaches a login within this, or we stop waiting. */
const BOOT_TIMEOUT_MS = 90_000;

type Found =
  | { kind: "silent"; garbled: boolean }
  | { kind: "no-prompt" }
  | { kind: "shell"; shell: ShellIdentity }
  | { kind: "bootloader"; name: string; stoppedByUs: boolean; resumed: boolean }
  | { kind: "login"; login: SerialLoginResult };

interface Session {
  ctx: CheckContext;
  con: SerialConsole;
  transcript: Transcript;
}

/** Press Enter at each line speed until the answer reads as text; the console is left at that speed. */
async function pressEnter(s: Session, rates: number[]): Promise<{ step: PromptStep } | { garbled: boolean }> {
  let garbled = false;
  for (const rate of rates) {
    if (rate !== s.con.baudRate) await s.con.setBaudRate(rate);
    s.ctx.progress(`${s.con.path}: Enter at ${rate} baud`);
    await s.con.write("\r");
    const { data, end } = await s.con.readUntil((b) => promptOf(b.toString("latin1")) !== undefined, { maxBytes: LISTEN_BYTES, timeoutMs: ANSWER_TIMEOUT_MS });
    if (looksLikeText(data)) {
      s.transcript.add(data);
      const text = data.toString("latin1");
      return { step: { prompt: promptOf(text), text, end } };
    }
    garbled ||= data.length > 0;
  }
  return { garbled };
}

/**
 * A countdown is on screen: press its key (unless our Enter already did) and see whether a
 * bootloader prompt follows. If we stopped it, tell it to boot on, so the device is left as found.
 */
async function stopAutoboot(s: Session, step: PromptStep, key: string): Promise<Found | PromptStep> {
  let at = step;
  if (at.prompt !== "bootloader") {
    await s.con.write(key);
    at = await readToPrompt(s.con, s.transcript, REPLY_TIMEOUT_MS);
  }
  const bootloader = bootloaderAtEnd(at.text);
  if (!bootloader) {
    // It would not stop: wait for the boot to reach whatever the console offers afterwards
    s.ctx.progress(`${s.con.path}: the countdown did not stop; waiting for the boot to finish`);
    return at.prompt ? at : readToPrompt(s.con, s.transcript, BOOT_TIMEOUT_MS);
  }
  if (bootloader.resume) await s.con.write(`${bootloader.resume}\r`);
  return { kind: "bootloader", name: bootloader.name, stoppedByUs: true, resumed: !!bootloader.resume };
}

async function explore(s: Session, rates: number[]): Promise<Found> {
  s.ctx.progress(`${s.con.path}: listening`);
  // Listen before speaking: a device that is booting shows its bootloader's countdown now
  const heard = await s.con.readUntil((b) => autobootIn(b.toString("latin1")) !== undefined, {
    maxBytes: LISTEN_BYTES, timeoutMs: s.ctx.pace.settings.bannerWaitMs,
  });
  s.transcript.add(heard.data);
  const heardText = heard.data.toString("latin1");
  let step: PromptStep;
  const countdown = autobootIn(heardText);
  if (countdown) {
    const after = await stopAutoboot(s, { prompt: promptOf(heardText), text: heardText, end: heard.end }, countdown.key);
    if ("kind" in after) return after;
    step = after;
  } else {
    // Text the console printed unasked already tells its line speed
    const talks = looksLikeText(heard.data);
    const pressed = await pressEnter(s, talks ? [s.con.baudRate] : rates);
    if (!("step" in pressed)) return talks ? { kind: "no-prompt" } : { kind: "silent", garbled: pressed.garbled || heard.data.length > 0 };
    step = pressed.step;
    const late = autobootIn(step.text);
    if (late) {
      const after = await stopAutoboot(s, step, late.key);
      if ("kind" in after) return after;
      step = after;
    }
  }

  switch (step.prompt) {
    case "bootloader":
      return { kind: "bootloader", name: bootloaderAtEnd(step.text)!.name, stoppedByUs: false, resumed: false };
    case "shell":
      return { kind: "shell", shell: await identifyShell(s.con, s.transcript, step.text, REPLY_TIMEOUT_MS) };
    case "login":
    case "password":
      return { kind: "login", login: await tryDefaultLogins(s.ctx, s.con, s.transcript, step.prompt) };
    default:
      return { kind: "no-prompt" };
  }
}

function judge(found: Found, where: { path: string; baudRate: number }, transcript: string): Outcome {
  const target = { transport: "serial" as const, address: where.path, service: "console" };
  const evidence = { ...where, transcript };
  const at = `the serial console on ${where.path}`;
  switch (found.kind) {
    case "silent":
      return {
        verdict: "inconclusive",
        summary: found.garbled
          ? `${at} sent bytes that read as text at none of the line speeds tried`
          : `${at} said nothing at any line speed tried: it is disabled, or the adapter is not wired to it (TX, RX, GND) — the two look alike`,
        evidence: { path: where.path, garbled: found.garbled },
      };
    case "no-prompt":
      return {
        verdict: "pass",
        summary: `${at} prints text but offered no shell, login or bootloader prompt when Enter was pressed`,
        findings: [{ severity: "info", title: `${at} prints output but offers no prompt`, target, evidence }],
        evidence,
      };
    case "shell": {
      const { shell } = found;
      const who = shell.root ? "a root shell" : `a shell as ${shell.user ?? `uid ${shell.uid ?? "unknown"}`}`;
      return {
        verdict: "fail",
        summary: `${at} gives ${who} without a login`,
        findings: [{ severity: shell.root ? "critical" : "high", title: `${at} gives ${who} without a login`, target, evidence: { ...evidence, shell } }],
        evidence: { ...evidence, shell },
      };
    }
    case "bootloader": {
      const how = found.stoppedByUs ? "stops its autoboot countdown on a key press and offers its command prompt" : "sits at its command prompt";
      const left = found.stoppedByUs && !found.resumed ? " (the device was left at the bootloader prompt: power-cycle it)" : "";
      const details = { ...evidence, bootloader: found.name, stoppedByUs: found.stoppedByUs, resumed: found.resumed };
      return {
        verdict: "fail",
        summary: `${found.name} on ${where.path} ${how}${left}`,
        findings: [{ severity: "high", title: `${found.name} on ${where.path} ${how}`, target, evidence: details }],
        evidence: details,
      };
    }
    case "login":
      return judgeLogin(found.login, at, target, evidence);
  }
}

function judgeLogin(login: SerialLoginResult, at: string, target: FindingInput["target"], evidence: Record<string, unknown>): Outcome {
  const tally = { tried: login.tried, of: login.candidates, ...(login.stopped ? { stopped: login.stopped } : {}) };
  const findings: FindingInput[] = login.uniqueAccepted.map((c) => ({
    severity: "info",
    title: `${at} accepts the declared per-unit credential for "${c.username}"`,
    target,
    // The per-unit password is the owner's secret: the report has no use for it
    evidence: { username: c.username, source: c.source, unique: true },
  }));
  if (login.accepted) {
    const { candidate: c, attemptsBefore, shell } = login.accepted;
    findings.push({
      severity: "critical",
      title: `${at} accepts a default password for "${c.username}"`,
      target,
      evidence: { ...evidence, username: c.username, password: c.password, source: c.source, attemptsBeforeSuccess: attemptsBefore, shell },
    });
    return { verdict: "fail", summary: `${at} accepts a default password for "${c.username}" (${shell.root ? "root" : "not root"})`, findings, evidence: { ...evidence, login: tally } };
  }
  if (login.stopped) {
    return { verdict: "inconclusive", summary: `${at} asks for a login; only ${login.tried} of ${login.candidates} default pairs tried (${login.stopped})`, findings, evidence: { ...evidence, login: tally } };
  }
  findings.push({ severity: "low", title: `${at} is enabled, behind a login prompt`, target, evidence });
  return { verdict: "pass", summary: `${at} asks for a login and refused all ${login.tried} default pairs tried`, findings, evidence: { ...evidence, login: tally } };
}

export const consoleAccess: Check = {
  id: "serial.console-access",
  title: "The serial console gives no access without a secret",
  description:
    "Opens the descriptor's serial port (finding the line speed when it says auto: the one at which the device's " +
    "answer reads as text), listens, then presses Enter and classifies what answers: a shell without a login " +
    "(identified with `id`, the only command it runs), a login prompt (then the default-credential list, as for " +
    "telnet, logging out after a success), a bootloader prompt or an autoboot countdown it can stop (it then " +
    "tells the bootloader to boot on), or nothing. To see the bootloader, power the device on as the check starts.",
  effect: "intrusive",
  needs: ["serial"],
  timeoutMs: 30 * 60_000,

  plan(device, pace) {
    const serial = device.serial;
    if (!serial) return [];
    const rates = serial.baudRate === "auto" ? `${commonBaudRates().length} line speeds` : `${serial.baudRate} baud`;
    return [{
      address: serial.path, port: "-", protocol: "serial", count: `Enter at ${rates}, then up to ${pace.settings.attemptsPerService} logins`,
      note: "runs `id` on a shell; stops an autoboot countdown, then boots on",
    }];
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
    const transcript = new Transcript();
    try {
      const found = await explore({ ctx, con, transcript }, rates);
      return judge(found, { path: serial.path, baudRate: con.baudRate }, transcript.toString());
    } catch (err) {
      if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
      return { verdict: "inconclusive", summary: `${serial.path}: ${err.message}`, evidence: { path: serial.path, transcript: transcript.toString() } };
    } finally {
      con.close();
    }
  },
};
