// Serial console: open the descriptor's port through the run context, then read with a cap on
// bytes and time. The scope for a serial line is the one path the descriptor names.
import type { SerialPort } from "serialport";
import { TransportError, type TransportErrorKind } from "../core/errors.js";
import type { CheckContext } from "../core/types.js";
import type { ReadEnd, ReadLimits, ReadResult } from "./tcp.js";

/** The part of the run context a serial transport needs. */
export type SerialLink = Pick<CheckContext, "device" | "pace" | "signal" | "evidence">;

/** Everything one session may buffer from a device, whatever the reads ask for. */
const SESSION_CAP = 4 * 1024 * 1024;
/** How long opening a local device file may take before something is wrong with it. */
const OPEN_TIMEOUT_MS = 5000;

/** serialport's errors carry no code, only the C library's words. */
const MESSAGE_KINDS: [RegExp, TransportErrorKind][] = [
  [/no such file|no such device|ENOENT|ENODEV/i, "unreachable"],
  [/permission denied|EACCES|EPERM/i, "refused"],
  [/cannot lock port|resource busy|resource temporarily unavailable|EBUSY/i, "refused"],
];

function toSerialError(err: unknown, path: string): TransportError {
  if (err instanceof TransportError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const kind = MESSAGE_KINDS.find(([re]) => re.test(message))?.[1] ?? "protocol";
  return new TransportError(kind, message.includes(path) ? message : `${path}: ${message}`, { cause: err });
}

export class SerialConsole {
  #buffer = Buffer.alloc(0);
  #received = 0;
  #closed = false;
  #error: TransportError | undefined;
  #wake: (() => void) | undefined;
  #baudRate: number;

  constructor(
    readonly path: string,
    baudRate: number,
    private readonly port: SerialPort,
    private readonly link: SerialLink,
    private readonly release: () => void,
  ) {
    this.#baudRate = baudRate;
    port.on("data", (chunk: Buffer) => {
      if (this.#received === 0) link.evidence.answer(path, "serial");
      this.#received += chunk.length;
      if (this.#received > SESSION_CAP) {
        this.#error = new TransportError("too-large", `${path} sent more than ${SESSION_CAP} bytes`);
        this.close();
      } else {
        this.#buffer = Buffer.concat([this.#buffer, chunk]);
      }
      this.#notify();
    });
    port.on("error", (err) => {
      this.#error ??= toSerialError(err, path);
      this.#notify();
    });
    // A port that closes on its own lost its device: unplugged adapter, or the far end went away
    port.on("close", () => {
      this.#error ??= new TransportError("closed", `${path} closed: the device went away`);
      this.#markClosed();
    });
  }

  get baudRate(): number {
    return this.#baudRate;
  }

  /** Change the line speed. Bytes still buffered arrived at the old speed and are dropped. */
  async setBaudRate(baudRate: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.port.update({ baudRate }, (err) => (err ? reject(toSerialError(err, this.path)) : resolve()));
    });
    this.#baudRate = baudRate;
    this.#buffer = Buffer.alloc(0);
  }

  /**
   * Read until `done(buffer)` holds, `maxBytes` arrived, the time ran out or the line closed;
   * everything buffered is returned and consumed.
   */
  async readUntil(done: (data: Buffer) => boolean, limits: ReadLimits): Promise<ReadResult> {
    const deadline = performance.now() + limits.timeoutMs;
    for (;;) {
      if (this.#buffer.length && done(this.#buffer)) return this.#take("match");
      if (this.#buffer.length >= limits.maxBytes) return this.#take("limit");
      if (this.#closed || this.#error) {
        if (this.#error && this.#buffer.length === 0 && this.#error.kind !== "closed") throw this.#error;
        return this.#take("closed");
      }
      const left = deadline - performance.now();
      if (left <= 0) return this.#take("timeout");
      await this.#waitForData(left);
    }
  }

  /** Send bytes to the device; each write is a "serial-write" probe in the run's ledger. */
  async write(data: string | Buffer): Promise<void> {
    if (this.#closed) throw this.#error ?? new TransportError("closed", `${this.path} is closed`);
    if (this.link.signal.aborted) throw new TransportError("aborted", `${this.path}: aborted`);
    this.link.evidence.probe(this.path, 0, "serial-write");
    await new Promise<void>((resolve, reject) => {
      this.port.write(data, (err) => (err ? reject(toSerialError(err, this.path)) : this.port.drain(() => resolve())));
    });
  }

  close(): void {
    if (this.port.isOpen) this.port.close();
    this.#markClosed();
  }

  #markClosed(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.release();
    }
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #take(end: ReadEnd): ReadResult {
    const data = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return { data, end };
  }

  #waitForData(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.link.signal;
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#wake = undefined;
        outcome();
      };
      const onAbort = () => settle(() => reject(new TransportError("aborted", `${this.path}: aborted`)));
      const timer = setTimeout(() => settle(resolve), ms);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#wake = () => settle(resolve);
    });
  }
}

/**
 * Open the serial port at `path`. Throws TransportError: out-of-scope unless `path` is the
 * descriptor's serial path; unreachable when it does not exist; refused when it is not ours to
 * open (permissions, or another program holds the lock).
 */
export async function openSerial(link: SerialLink, path: string, baudRate: number): Promise<SerialConsole> {
  const declared = link.device.serial?.path;
  if (path !== declared) {
    throw new TransportError("out-of-scope", `refused to open ${path}: the device descriptor names ${declared ? `only ${declared}` : "no serial port"}`);
  }
  // Loaded here, not at start-up: its native binding is needed only when a device has a console
  const { SerialPort } = await import("serialport");
  const release = await link.pace.acquire(link.signal);
  // Opening is itself felt by the device (adapters raise DTR, which resets some boards): a probe
  link.evidence.probe(path, 0, "serial");
  // The exclusive lock keeps two programs from talking over each other on one console
  const port = new SerialPort({ path, baudRate, autoOpen: false, lock: true });
  try {
    await new Promise<void>((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new TransportError("timeout", `${path}: did not open within ${OPEN_TIMEOUT_MS} ms`));
      }, OPEN_TIMEOUT_MS);
      port.open((err) => {
        clearTimeout(timer);
        // An open that completes after we gave up must not stay open behind our back
        if (late && !err) port.close();
        else if (err) reject(toSerialError(err, path));
        else resolve();
      });
    });
  } catch (err) {
    if (port.isOpen) port.close();
    release();
    throw err;
  }
  return new SerialConsole(path, baudRate, port, link, release);
}
