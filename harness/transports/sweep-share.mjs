// One share of a TCP connect sweep: connect to each port, time the answer, close. Used inside a
// worker thread for large sweeps (sweep-worker.mjs) and in the calling thread for small ones,
// where starting a thread would cost more than the connects. Plain JavaScript on purpose: a
// worker starts from a file Node can run as it is, both from the sources (tests) and from the
// installed package. The caller has already checked the scope and set the limits.
//
// Each connect goes straight to libuv through Node's tcp_wrap binding when it is there: the
// net.Socket stream machinery costs more CPU per port than the kernel's connect itself, which
// made a full scan about twice as slow as nmap's. tcp_wrap is internal to Node, so net.Socket
// stays as the fallback and gives the same answers.
import { Socket } from "node:net";

const REFUSED = ["ECONNREFUSED", "ECONNRESET"];

function rawConnector(host, timeoutMs) {
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
    req.oncomplete = (status) => end(status === 0 ? "open" : REFUSED.includes(errname(status)) ? "closed" : "silent");
    req.address = host;
    req.port = port;
    const err = host.includes(":") ? handle.connect6(req, host, port) : handle.connect(req, host, port);
    if (err) end("silent");
  };
}

function socketConnector(host, timeoutMs) {
  return (port, settle) => {
    const socket = new Socket();
    let state;
    const timer = setTimeout(() => { state ??= "silent"; socket.destroy(); }, timeoutMs);
    socket.once("connect", () => { state ??= "open"; socket.destroy(); });
    socket.once("error", (err) => { state ??= REFUSED.includes(err.code) ? "closed" : "silent"; });
    socket.once("close", () => { clearTimeout(timer); settle(state ?? "silent"); });
    socket.connect(port, host);
  };
}

/**
 * Sweep `ports` of `host` with at most `concurrency` connects at once and `perSecond` new ones a
 * second; `onResult` hears of each port as it settles. Resolves when every started connect has
 * settled and either all ports were asked or `stopped()` said to stop.
 */
export function sweepShare({ host, ports, concurrency, perSecond, timeoutMs }, onResult, stopped = () => false) {
  const connect = rawConnector(host, timeoutMs) ?? socketConnector(host, timeoutMs);
  const interval = 1000 / perSecond;
  let next = 0;
  let active = 0;
  let nextStart = 0;
  return new Promise((resolve) => {
    let finished = false;
    const knock = (port) => {
      const started = performance.now();
      connect(port, (state) => {
        onResult(state === "silent" ? { port, state } : { port, state, rttMs: performance.now() - started });
        active--;
        launch();
      });
    };
    const launch = () => {
      while (!stopped() && active < concurrency && next < ports.length) {
        const now = performance.now();
        if (nextStart > now + 1) {
          setTimeout(launch, nextStart - now);
          return;
        }
        nextStart = Math.max(now, nextStart) + interval;
        active++;
        knock(ports[next++]);
      }
      if (!finished && active === 0 && (stopped() || next >= ports.length)) {
        finished = true;
        resolve();
      }
    };
    launch();
  });
}
