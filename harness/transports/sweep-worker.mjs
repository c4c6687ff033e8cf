// One share of a TCP connect sweep, run in a worker thread so a full 65535-port scan uses every
// core. Plain JavaScript on purpose: a worker starts from a file Node can run as it is, both from
// the sources (tests) and from the installed package. The parent thread has already checked the
// scope and set the limits; this file only connects, times the answer, and closes.
//
// Each connect goes straight to libuv through Node's tcp_wrap binding when it is there: the
// net.Socket stream machinery costs more CPU per port than the kernel's connect itself, which
// made a full scan about twice as slow as nmap's. tcp_wrap is internal to Node, so net.Socket
// stays as the fallback and gives the same answers.
import { Socket } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

const { host, ports, concurrency, perSecond, timeoutMs } = workerData;
const BATCH = 256;
const ECONNREFUSED = ["ECONNREFUSED", "ECONNRESET"];
let stopped = false;
let next = 0;
let active = 0;
let batch = [];
let nextStart = 0;
let finished = false;

parentPort.on("message", (m) => {
  if (m === "stop") stopped = true;
});

function report(result) {
  batch.push(result);
  if (batch.length >= BATCH) flush();
}

function flush() {
  if (batch.length) parentPort.postMessage({ results: batch });
  batch = [];
}

function rawConnector() {
  let binding;
  try {
    binding = process.binding("tcp_wrap");
  } catch {
    return undefined;
  }
  const { TCP, TCPConnectWrap, constants } = binding;
  const { errname } = process.binding("uv");
  return (port, settle) => {
    const handle = new TCP(constants.SOCKET);
    const req = new TCPConnectWrap();
    let done = false;
    const end = (state) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      handle.close(() => settle(state));
    };
    const timer = setTimeout(() => end("silent"), timeoutMs);
    req.oncomplete = (status) => end(status === 0 ? "open" : ECONNREFUSED.includes(errname(status)) ? "closed" : "silent");
    req.address = host;
    req.port = port;
    const err = host.includes(":") ? handle.connect6(req, host, port) : handle.connect(req, host, port);
    if (err) end("silent");
  };
}

function socketConnector() {
  return (port, settle) => {
    const socket = new Socket();
    let state;
    const timer = setTimeout(() => { state ??= "silent"; socket.destroy(); }, timeoutMs);
    socket.once("connect", () => { state ??= "open"; socket.destroy(); });
    socket.once("error", (err) => { state ??= ECONNREFUSED.includes(err.code) ? "closed" : "silent"; });
    socket.once("close", () => { clearTimeout(timer); settle(state ?? "silent"); });
    socket.connect(port, host);
  };
}

const connect = rawConnector() ?? socketConnector();

function knock(port) {
  const started = performance.now();
  connect(port, (state) => {
    report(state === "silent" ? { port, state } : { port, state, rttMs: performance.now() - started });
    active--;
    launch();
  });
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
