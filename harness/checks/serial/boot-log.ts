// Capturing a boot log from a serial console, bounded, while the lab power-cycles the device. With
// `baudRate: auto` the line speed is found by listening: the first bytes at each speed either read
// as text (keep it) or not (try the next), so the start of the log may be lost to the search.
import type { SerialConsole } from "../../transports/serial.js";
import { looksLikeText, promptOf } from "./console-text.js";

export interface CaptureLimits {
  maxBytes: number;
  /** How long to wait for the device to start booting and finish. */
  windowMs: number;
  /** Silence, once the log has begun, that ends it. */
  quietMs: number;
}

export interface BootLog {
  text: string;
  /** The speed the log was read at; undefined when nothing read as text. */
  baudRate?: number;
  /** Bytes heard before the line speed was found (not searched). */
  lostBytes: number;
  ended: "prompt" | "quiet" | "limit" | "window" | "closed";
}

/** Bytes enough to tell text from the noise of a wrong line speed. */
const SAMPLE_BYTES = 64;
/** Enough of the log's end to hold its last line. */
const TAIL_CHARS = 256;
/** After the boot reaches a prompt, what is still on its way. */
const AFTER_PROMPT_MS = 500;

export async function captureBootLog(con: SerialConsole, rates: number[], limits: CaptureLimits): Promise<BootLog> {
  const deadline = performance.now() + limits.windowMs;
  const chunks: Buffer[] = [];
  let size = 0;
  let sample = Buffer.alloc(0);
  let rateIndex = 0;
  let locked = rates.length === 1;
  let lostBytes = 0;
  /** The end of the log so far, where a prompt would be. */
  let tail = "";
  const result = (ended: BootLog["ended"]): BootLog => ({
    text: Buffer.concat(chunks).toString("latin1"),
    ...(locked ? { baudRate: con.baudRate } : {}),
    lostBytes: lostBytes + (locked ? 0 : sample.length),
    ended,
  });

  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) return result("window");
    const begun = size > 0;
    const { data, end } = await con.readUntil(() => true, {
      maxBytes: limits.maxBytes - size,
      timeoutMs: begun ? Math.min(limits.quietMs, left) : left,
    });
    if (!locked) {
      sample = Buffer.concat([sample, data]);
      if (sample.length >= SAMPLE_BYTES) {
        if (looksLikeText(sample)) {
          locked = true;
          chunks.push(sample);
          size = sample.length;
          tail = sample.toString("latin1").slice(-TAIL_CHARS);
        } else {
          lostBytes += sample.length;
          rateIndex = (rateIndex + 1) % rates.length;
          await con.setBaudRate(rates[rateIndex]!);
        }
        sample = Buffer.alloc(0);
      }
    } else if (data.length) {
      chunks.push(data);
      size += data.length;
      tail = (tail + data.toString("latin1")).slice(-TAIL_CHARS);
    }
    if (end === "closed") return result("closed");
    if (size >= limits.maxBytes) return result("limit");
    if (begun && end === "timeout" && !data.length) return result("quiet");
    if (promptOf(tail)) {
      const rest = await con.readUntil(() => false, { maxBytes: limits.maxBytes - size, timeoutMs: AFTER_PROMPT_MS });
      chunks.push(rest.data);
      return result("prompt");
    }
  }
}
