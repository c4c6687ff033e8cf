// One share of a TCP connect sweep: connect to each port, time the answer, close. Used inside a
// worker thread for large sweeps (sweep-worker.cjs) and in the calling thread for small ones,
// where starting a thread would cost more than the connects. Plain JavaScript on purpose: a
// worker starts from a file Node can run as it is, both from the sources (tests) and from the
// installed package; and CommonJS, which a worker thread loads sooner than an ES module (it
// starts up for every large sweep). The caller has already checked the scope and set the limits.
//
// Each connect goes straight to libuv through Node's tcp_wrap binding when it is there: the
// net.Socket stream machinery costs more CPU per port than the kernel's connect itself, which
// made a full scan about twice as slow as nmap's. tcp_wrap is internal to Node, so net.Socket
// stays as the fallback and gives the same answers. For the same reason nothing is allocated
// per port that need not be: results are plain arguments, and one timer finds the connects that
// have waited too long instead of one timer per connect.
"use strict";
const { Socket } = require("node:net");

const REFUSED = ["ECONNREFUSED", "ECONNRESET"];

/**
 * A connect to a port of this host that nothing listens on can meet itself: when the kernel
 * picks the destination port as the source port (it is in the ephemeral range), the SYN is its
 * own answer (TCP simultaneous open) and the socket "connects" to itself. That is the scanner's
 * own socket, not a service: the port is closed.
 */
function selfConnected(local, remote) {
  return local.port === remote.port && local.address === remote.address;
}

/** What a port answered; a worker sends each as its index here. */
const SHARE_STATES = ["open", "closed", "silent"];

/** A connect to `port` that calls `settle(state)` once: "open", "closed" (RST) or "silent" (error or nothing). */
function rawConnector(host) {
  let binding;
  let uv;
  try {
    binding = process.binding("tcp_wrap");
    uv = process.binding("uv");
  } catch {
    return undefined;
  }
  const { TCP, TCPConnectWrap, constants } = binding;
  const refused = new Set(REFUSED.map((name) => uv[`UV_${name}`]));
  const v6 = host.includes(":");
  function oncomplete(status) {
    let state = status === 0 ? "open" : refused.has(status) ? "closed" : "silent";
    if (state === "open") {
      const local = {};
      const remote = {};
      if (this.handle.getsockname(local) === 0 && this.handle.getpeername(remote) === 0 && selfConnected(local, remote)) state = "closed";
    }
    this.handle.close();
    this.settle(state);
  }
  return (port, settle) => {
    const handle = new TCP(constants.SOCKET);
    const req = new TCPConnectWrap();
    req.oncomplete = oncomplete;
    req.address = host;
    req.port = port;
    req.handle = handle;
    req.settle = settle;
    const err = v6 ? handle.connect6(req, host, port) : handle.connect(req, host, port);
    // Settled on the next turn, not here: a host where every connect fails at once would
    // otherwise recurse through the whole port list.
    if (err) setImmediate(() => oncomplete.call(req, err));
    return () => handle.close();
  };
}

function socketConnector(host) {
  return (port, settle) => {
    const socket = new Socket();
    let state;
    socket.once("connect", () => {
      const self = selfConnected({ address: socket.localAddress, port: socket.localPort }, { address: socket.remoteAddress, port: socket.remotePort });
      state ??= self ? "closed" : "open";
      socket.destroy();
    });
    socket.once("error", (err) => { state ??= REFUSED.includes(err.code) ? "closed" : "silent"; });
    socket.once("close", () => settle(state ?? "silent"));
    socket.connect(port, host);
    return () => socket.destroy();
  };
}

/**
 * Sweep `ports` (each once) of `host` with at most `concurrency` connects at once and `perSecond` new ones a
 * second; `onResult(port, state, rttMs)` hears of each port as it settles (rttMs is undefined
 * for "silent"). Resolves when every started connect has settled and either all ports were
 * asked or `stopped()` said to stop.
 */
function sweepShare({ host, ports, concurrency, perSecond, timeoutMs }, onResult, stopped = () => false) {
  const connect = rawConnector(host) ?? socketConnector(host);
  const interval = 1000 / perSecond;
  let next = 0;
  let nextStart = 0;
  // Connects in flight, oldest first (a Map keeps insertion order): the timer looks only at the front.
  const inFlight = new Map();
  return new Promise((resolve) => {
    let finished = false;
    let paused;
    const settleWith = (port, started) => (state) => {
      if (!inFlight.delete(port)) return;
      onResult(port, state, state === "silent" ? undefined : performance.now() - started);
      launch();
    };
    const launch = () => {
      while (!stopped() && inFlight.size < concurrency && next < ports.length) {
        const now = performance.now();
        if (nextStart > now + 1) {
          paused ??= setTimeout(() => { paused = undefined; launch(); }, nextStart - now);
          return;
        }
        nextStart = Math.max(now, nextStart) + interval;
        const port = ports[next++];
        const flight = { started: now, cancel: undefined };
        inFlight.set(port, flight);
        flight.cancel = connect(port, settleWith(port, now));
      }
      if (!finished && inFlight.size === 0 && (stopped() || next >= ports.length)) {
        finished = true;
        clearInterval(overdue);
        resolve();
      }
    };
    const overdue = setInterval(() => {
      const now = performance.now();
      for (const [port, flight] of inFlight) {
        if (now - flight.started < timeoutMs) break;
        inFlight.delete(port);
        flight.cancel();
        onResult(port, "silent", undefined);
      }
      launch();
    }, Math.max(10, Math.min(100, timeoutMs / 8)));
    launch();
  });
}

module.exports = { SHARE_STATES, sweepShare };
