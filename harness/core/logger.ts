// run.log: pino NDJSON, written synchronously so nothing is lost when a run is interrupted;
// with --verbose the same records go, pretty-printed, to stderr.
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export interface RunLogger {
  log: Logger;
  /** Flush and close run.log. */
  close(): void;
}

export function createRunLogger(file: string, verbose: boolean): RunLogger {
  const destination = pino.destination({ dest: file, sync: true, mkdir: true });
  const streams: pino.StreamEntry[] = [{ level: "debug", stream: destination }];
  if (verbose) streams.push({ level: "debug", stream: pretty({ destination: 2, sync: true, colorize: !process.env.NO_COLOR }) });
  const log = pino({ level: "debug", base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.multistream(streams));
  return {
    log,
    close: () => {
      destination.flushSync();
      destination.end();
    },
  };
}
