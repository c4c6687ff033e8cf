// Ctrl-C stops the run but keeps what it found: the first SIGINT aborts (the report is still
// written, marked incomplete); a second one exits at once.
// One Ctrl-C can arrive twice: the terminal signals the whole foreground process group, and a
// parent that forwards signals (npm exec / npx, when its shell execs iotcert) sends it again a
// moment later. A repeat within DUPLICATE_MS of the first is that same Ctrl-C, not a second one.
import { setMaxListeners } from "node:events";

const DUPLICATE_MS = 500;

export function abortOnInterrupt(stderr: NodeJS.WritableStream): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  // Every check under way listens on it, in every device of a campaign: more than ten is by design.
  setMaxListeners(0, controller.signal);
  let firstAt = 0;
  const onSigint = () => {
    if (controller.signal.aborted) {
      if (performance.now() - firstAt < DUPLICATE_MS) return;
      process.exit(130);
    }
    firstAt = performance.now();
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
