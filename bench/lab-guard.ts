// Benchmarks send thousands of packets to lab addresses. With the lab down those addresses would
// follow the default route out of this machine; bring the lab up, and refuse any address that
// does not lead into it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
export const ROOT = new URL("..", import.meta.url).pathname;

export async function labAddresses(addresses: string[]): Promise<void> {
  await run("bash", ["test/lab/up.sh"], { cwd: ROOT });
  for (const address of addresses) {
    const { stdout } = await run("ip", ["route", "get", address]);
    if (!/ dev iotc-/.test(stdout)) throw new Error(`${address} does not lead into the lab (${stdout.trim()}); not sending anything`);
  }
}
