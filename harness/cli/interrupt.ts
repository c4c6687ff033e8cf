// Ctrl-C stops the run but keeps what it found: the first SIGINT aborts (the report is still
// written, marked incomplete); a second one exits at once.
import { setMaxListeners } from "node:events";

export function abortOnInterrupt(stderr: NodeJS.WritableStream): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  // Every check under way listens on it, in every device of a campaign: more than ten is by design.
  setMaxListeners(0, controller.signal);
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    stderr.write("\ninterrupted: finishing the report so far (Ctrl-C again to quit at once)\n");
    controller.abort(new Error("interrupted by the user (Ctrl-C)"));
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigint);
    },
  };
}
