// Reading what a serial console says: is it text at all (the line speed is right), and which
// prompt does it end with — a bootloader's, a login, a password, a shell. Login, password and
// shell prompts are judged exactly as the telnet login judges them.
import { loadData } from "../../core/data.js";
import { promptAtEnd } from "../../transports/telnet.js";

interface Bootloader {
  name: string;
  prompt: string;
  /** The command that boots on, sent only after the check itself stopped the countdown. */
  resume?: string;
}

interface Autoboot {
  name: string;
  pattern: string;
  /** What stops the countdown. */
  key: string;
}

interface ConsoleData {
  baudRates: number[];
  bootloaders: Bootloader[];
  autoboot: Autoboot[];
}

export interface KnownBootloader {
  name: string;
  resume?: string;
}

export interface KnownAutoboot {
  name: string;
  key: string;
}

export type ConsolePrompt = "bootloader" | "login" | "password" | "shell";

const data = () => loadData<ConsoleData>("serial-consoles.yaml");

/** The line speeds to try for `baudRate: auto`, most likely first. */
export const commonBaudRates = (): number[] => data().baudRates;

/** Consoles print the odd UTF-8 box character or bell; a wrong speed prints mostly non-ASCII. */
const MIN_PRINTABLE_SHARE = 0.9;

/**
 * Whether `data` reads as console text: mostly printable ASCII, and either words (letters or
 * digits) or a prompt we know — a shell answers Enter with no more than "\r\n# ".
 */
export function looksLikeText(data: Buffer): boolean {
  let printable = 0;
  let alphanumeric = false;
  for (const byte of data) {
    if ((byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x08 || byte === 0x1b) printable++;
    if ((byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a)) alphanumeric = true;
  }
  if (!data.length || printable / data.length < MIN_PRINTABLE_SHARE) return false;
  return alphanumeric || promptOf(data.toString("latin1")) !== undefined;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The last line of console text, without colour codes or the backspaces of a countdown. */
function lastLine(text: string): string {
  let line = text.replace(ANSI, "").split(/[\r\n]/).pop() ?? "";
  // A countdown rewrites itself with backspaces: apply them
  while (/[^\x08]\x08/.test(line)) line = line.replace(/[^\x08]\x08/g, "");
  return line.replace(/\x08/g, "");
}

/** The bootloader whose prompt the text ends with. */
export function bootloaderAtEnd(text: string): KnownBootloader | undefined {
  const line = lastLine(text);
  const found = data().bootloaders.find((b) => new RegExp(b.prompt).test(line));
  return found && { name: found.name, ...(found.resume ? { resume: found.resume } : {}) };
}

/** The autoboot countdown the text shows, wherever it is. */
export function autobootIn(text: string): KnownAutoboot | undefined {
  const found = data().autoboot.find((a) => new RegExp(a.pattern, "i").test(text));
  return found && { name: found.name, key: found.key };
}

/** The prompt the console text ends with. A bootloader's is checked first: "=> " ends like a shell's. */
export function promptOf(text: string): ConsolePrompt | undefined {
  if (bootloaderAtEnd(text)) return "bootloader";
  return promptAtEnd(text);
}
