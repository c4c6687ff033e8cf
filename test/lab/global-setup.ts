// vitest globalSetup: bring the integration lab up once before any test file runs, so every lab
// test file shares one lab, and take it down after the last. A lab that was already up (brought
// up by hand to debug) is left up. Where the lab cannot run, nothing happens here: each lab test
// file then skips with the reason, or fails under CI=true (requireLab in lab.ts).
import { labDown, labRunning, labStatus, labUp } from "./lab.js";

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (!labStatus().available) return undefined;
  const wasUp = labRunning();
  await labUp();
  return async () => {
    if (!wasUp) await labDown();
  };
}
