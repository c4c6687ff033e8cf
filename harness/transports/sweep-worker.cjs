// A worker thread's share of a large TCP connect sweep (see sweep-share.cjs). It is started
// ahead of its sweep, since starting takes the better part of a tenth of a second, and waits
// for its share (the ports and limits). Results go back in batches of typed arrays, handed over
// rather than copied: one message, or one object, per result would cost the parent more than
// the connects.
"use strict";
const { parentPort } = require("node:worker_threads");
const { SHARE_STATES, sweepShare } = require("./sweep-share.cjs");

const BATCH = 512;
let stopped = false;
let batch;
let size = 0;

function fresh() {
  batch = { ports: new Uint16Array(BATCH), states: new Uint8Array(BATCH), rtts: new Float32Array(BATCH) };
  size = 0;
}

function flush() {
  if (size === 0) return;
  const { ports, states, rtts } = batch;
  parentPort.postMessage({ size, ports, states, rtts }, [ports.buffer, states.buffer, rtts.buffer]);
  fresh();
}

async function sweepAndReport(share) {
  fresh();
  await sweepShare(share, (port, state, rttMs) => {
    batch.ports[size] = port;
    batch.states[size] = SHARE_STATES.indexOf(state);
    batch.rtts[size] = rttMs ?? Number.NaN;
    if (++size === BATCH) flush();
  }, () => stopped);
  flush();
  parentPort.postMessage({ done: true });
}

let started = false;
parentPort.on("message", (m) => {
  if (m === "stop") {
    stopped = true;
  } else if (!started) {
    started = true;
    void sweepAndReport(m);
  }
});
