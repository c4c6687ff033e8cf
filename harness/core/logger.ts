// run.log: pino NDJSON, written synchronously so nothing is lost when a run is interrupted;
// with --verbose the same records go, pretty-printed, to stderr. With --redact every record
// passes through `redact` before either sees it.
import pino, { type Logger } from "pino";

export interface RunLogger {
  log: Logger;
  /** Flush and close run.log. */
  close(): void;
}

export async function createRunLogger(file: string, verbose: boolean, redact?: (record: Record<string, unknown>) => Record<string, unknown>): Promise<RunLogger> {
  const destination = pino.destination({ dest: file, sync: true, mkdir: true, append: false });
  const streams: pino.StreamEntry[] = [{ level: "debug", stream: destination }];
  if (verbose) {
    // Loaded only for --verbose: it is a fifth of the start-up time otherwise.
    const { default: pretty } = await import("pino-pretty");
    streams.push({ level: "debug", stream: pretty({ destination: 2, sync: true, colorize: !process.env.NO_COLOR }) });
  }
  const log = pino({
    level: "debug", base: undefined, timestamp: pino.stdTimeFunctions.isoTime,
    ...(redact ? { formatters: { log: redact } } : {}),
  }, pino.multistream(streams));
  return {
    log,
    close: () => {
      destination.flushSync();
      destination.end();
    },
  };
}
