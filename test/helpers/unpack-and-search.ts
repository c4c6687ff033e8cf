// Run as its own node process by the firmware tests: unpack an image and search every file, then
// print what was found and the process's peak resident memory, so a test can bound the memory
// without the test runner's own weighing in. Usage: node --import tsx unpack-and-search.ts IMAGE [BUDGET_BYTES]
import { DEFAULT_UNPACK_LIMITS, unpackImage } from "../../harness/firmware/unpack.js";
import { scanFile } from "../../harness/firmware/scan.js";

const [image, budget] = process.argv.slice(2);
const signal = new AbortController().signal;
const unpacked = await unpackImage(image!, { ...DEFAULT_UNPACK_LIMITS, ...(budget ? { maxTotalBytes: Number(budget) } : {}) }, signal);
let keys = 0;
for (const file of unpacked.files.filter((f) => !f.unpackedAs)) keys += (await scanFile(file.real, 64 * 1024 * 1024, signal)).keys.length;
await unpacked.dispose();
process.stdout.write(JSON.stringify({
  files: unpacked.files.length,
  bytesWritten: unpacked.bytesWritten,
  refused: unpacked.refused,
  keys,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
}));
