// Reads packets with tshark (Wireshark's command-line dissector), from a capture file or live from
// an interface, as one JSON object of chosen fields per packet (`-T ek`).
//
// Why tshark and not a parser of our own: captures come from a lab network with hostile devices on
// it, in pcap or pcapng, over Ethernet, Wi-Fi, Linux cooked or VLAN links, with DHCP options, LLDP
// TLVs and DNS answers to decode. Wireshark's dissectors are maintained and fuzzed for exactly that;
// a hand-written reader would cover a fraction and be the weaker parser. It is bounded from here:
// a packet count (-c), a time limit, a cap on bytes per line and in all; no name resolution (-n).
// When tshark is missing, the error says how to install it.
import { spawn } from "node:child_process";

export class CaptureError extends Error {
  override readonly name = "CaptureError";
  constructor(
    /** missing: no tshark; refused: tshark could not read the file or open the interface; the rest: the run's limits. */
    readonly kind: "missing" | "refused" | "timeout" | "aborted",
    message: string,
  ) {
    super(message);
  }
}

export type Layers = Record<string, string[]>;

export type TsharkSource =
  | { file: string }
  /** Live: stops after durationS seconds. `filter` is a capture filter (BPF). */
  | { interface: string; filter: string; durationS: number };

export interface TsharkLimits {
  maxPackets: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A packet's fields as JSON never get near this; longer lines are skipped, not parsed. */
const MAX_LINE_BYTES = 1024 * 1024;
const MAX_STDERR_BYTES = 4096;

function argsFor(source: TsharkSource, fields: string[], maxPackets: number): string[] {
  // One packet over the limit tells "exactly maxPackets" from "more than that"
  const common = ["-n", "-c", String(maxPackets + 1), "-T", "ek", ...fields.flatMap((f) => ["-e", f])];
  if ("file" in source) return ["-r", source.file, ...common];
  return ["-i", source.interface, "-l", "-f", source.filter, "-a", `duration:${source.durationS}`, ...common];
}

/**
 * Run tshark and hand each packet's fields (ek names: dots become underscores) to `onPacket`.
 * Resolves with how many packets were read and whether they are not all of the capture (the limit
 * was reached, or the file ends in the middle of a packet). Throws
 * CaptureError when tshark is missing, fails, or runs over the time limit.
 */
export function runTshark(source: TsharkSource, fields: string[], limits: TsharkLimits, onPacket: (layers: Layers) => void): Promise<{ packets: number; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn("tshark", argsFor(source, fields, limits.maxPackets), { stdio: ["ignore", "pipe", "pipe"] });
    let packets = 0;
    let truncated = false;
    let pending = Buffer.alloc(0);
    let skipping = false;
    let stderr = "";
    let failure: CaptureError | undefined;
    const stop = (err?: CaptureError) => {
      failure ??= err;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => stop(new CaptureError("timeout", `tshark took longer than ${Math.round(limits.timeoutMs / 1000)} s`)), limits.timeoutMs);
    const onAbort = () => stop(new CaptureError("aborted", "aborted"));
    limits.signal?.addEventListener("abort", onAbort, { once: true });

    const line = (bytes: Buffer) => {
      // ek interleaves {"index":…} lines; packets are the lines with "layers"
      if (bytes.length === 0 || truncated) return;
      let record: { layers?: Layers };
      try {
        record = JSON.parse(bytes.toString("utf8")) as { layers?: Layers };
      } catch {
        return;
      }
      if (!record.layers) return;
      if (packets === limits.maxPackets) {
        truncated = true;
        stop();
        return;
      }
      packets++;
      onPacket(record.layers);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      let data = Buffer.concat([pending, chunk]);
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10)) {
        if (!skipping) line(data.subarray(0, nl));
        skipping = false;
        data = data.subarray(nl + 1);
      }
      if (data.length > MAX_LINE_BYTES) {
        skipping = true;
        data = Buffer.alloc(0);
      }
      pending = data;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString("utf8").slice(0, MAX_STDERR_BYTES - stderr.length);
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      failure ??= err.code === "ENOENT"
        ? new CaptureError("missing", "reading captures needs tshark (Wireshark), which is not installed (Debian/Ubuntu: apt-get install tshark)")
        : new CaptureError("missing", `cannot run tshark: ${err.message}`);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      limits.signal?.removeEventListener("abort", onAbort);
      if (!skipping) line(pending);
      if (failure) return reject(failure);
      // A capture stopped while a packet was being written ends mid-packet: what came before stands
      const cutShort = /cut short in the middle of a packet/.test(stderr);
      if (code !== 0 && !truncated && !cutShort) return reject(new CaptureError("refused", `tshark failed: ${tsharkMessage(stderr) || `exit code ${code}`}`));
      resolve({ packets, truncated: truncated || cutShort });
    });
  });
}

/** tshark's own complaint, without its warning about running as root. */
function tsharkMessage(stderr: string): string {
  return stderr.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("Running as user")).join(" ").slice(0, 500);
}
