import { describe, expect, it } from "vitest";
import { ProgressLine } from "../harness/cli/progress-line.js";
import { capture } from "./helpers/capture.js";

function stream(isTTY: boolean) {
  return Object.assign(capture(), { isTTY, columns: 60 }) as unknown as NodeJS.WriteStream & { text: () => string };
}

describe("progress line", () => {
  it("shows the running check and done / total on a terminal, on one line", () => {
    const tty = stream(true);
    const line = new ProgressLine(tty);
    line.update({ done: 2, total: 6, running: [{ id: "surface.tcp-ports", detail: "1024 of 65535 ports" }] });
    line.clear();
    expect(tty.text()).toContain("[2/6] surface.tcp-ports (1024 of 65535 ports)");
    expect(tty.text()).not.toContain("\n");
    expect(tty.text().endsWith("\r\x1b[2K")).toBe(true);
  });

  it("fits the terminal width and drops control characters", () => {
    const tty = stream(true);
    new ProgressLine(tty).update({ done: 0, total: 1, running: [{ id: "x", detail: `\x1b[31m${"y".repeat(200)}` }] });
    const shown = tty.text().replace("\r\x1b[2K", "");
    expect(shown.length).toBeLessThanOrEqual(59);
    expect(shown).not.toContain("\x1b");
  });

  it("writes nothing when not a terminal", () => {
    const pipe = stream(false);
    const line = new ProgressLine(pipe);
    line.update({ done: 1, total: 2, running: [{ id: "a.b" }] });
    line.clear();
    expect(pipe.text()).toBe("");
  });
});
