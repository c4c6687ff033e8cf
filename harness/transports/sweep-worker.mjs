// A worker thread's share of a large TCP connect sweep (see sweep-share.mjs). Results go back to
// the parent in batches: one message per result would cost the parent more than the connects.
import { parentPort, workerData } from "node:worker_threads";
import { sweepShare } from "./sweep-share.mjs";

const BATCH = 256;
let stopped = false;
let batch = [];

parentPort.on("message", (m) => {
  if (m === "stop") stopped = true;
});

function flush() {
  if (batch.length) parentPort.postMessage({ results: batch });
  batch = [];
}

await sweepShare(workerData, (result) => {
  batch.push(result);
  if (batch.length >= BATCH) flush();
}, () => stopped);
flush();
parentPort.postMessage({ done: true });
