// One share of a TCP connect sweep, run in a worker thread so a full 65535-port scan uses every
// core. Plain JavaScript on purpose: a worker starts from a file Node can run as it is, both from
// the sources (tests) and from the installed package. The parent thread has already checked the
// scope and set the limits; this file only connects, reads the first bytes, and reports.
import { Socket } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

const { host, ports, concurrency, perSecond, timeoutMs, bannerWaitMs, bannerBytes } = workerData;
const BATCH = 256;
let stopped = false;
let next = 0;
let active = 0;
let batch = [];
let nextStart = 0;
let finished = false;

parentPort.on("message", (m) => {
  if (m === "stop") stopped = true;
});

function flush() {
  if (batch.length) parentPort.postMessage({ results: batch });
  batch = [];
}

function report(result) {
  batch.push(result);
  if (batch.length >= BATCH) flush();
}

function knock(port) {
  const started = performance.now();
  const socket = new Socket();
  let done = false;
  let rttMs = 0;
  let banner = Buffer.alloc(0);
  const finish = (state) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    report(state === "open" ? { port, state, rttMs, banner: banner.length ? banner : undefined } : state === "closed" ? { port, state, rttMs: performance.now() - started } : { port, state });
  };
  let timer = setTimeout(() => finish("silent"), timeoutMs);
  socket.once("connect", () => {
    rttMs = performance.now() - started;
    clearTimeout(timer);
    timer = setTimeout(() => finish("open"), bannerWaitMs);
  });
  socket.on("data", (chunk) => {
    banner = Buffer.concat([banner, chunk]).subarray(0, bannerBytes);
    if (banner.length >= bannerBytes) finish("open");
  });
  socket.once("error", (err) => {
    if (rttMs) return finish("open");
    finish(err.code === "ECONNREFUSED" || err.code === "ECONNRESET" ? "closed" : "silent");
  });
  socket.once("close", () => {
    if (!done) finish(rttMs ? "open" : "silent");
    active--;
    launch();
  });
  socket.connect(port, host);
}

function launch() {
  const interval = 1000 / perSecond;
  while (!stopped && active < concurrency && next < ports.length) {
    const now = performance.now();
    if (nextStart > now + 1) {
      setTimeout(launch, nextStart - now);
      return;
    }
    nextStart = Math.max(now, nextStart) + interval;
    active++;
    knock(ports[next++]);
  }
  if (!finished && active === 0 && (stopped || next >= ports.length)) {
    finished = true;
    flush();
    parentPort.postMessage({ done: true });
  }
}

launch();
