// Loopback ports that take no connection and send nothing back, as a firewall that drops SYNs
// would: a real listening socket (in a python3 process) with a backlog of 0 that never accepts,
// its one queue place taken by a connection of ours. The kernel then drops every further SYN.
// And ports that do accept, and then never say a word (startMutePort).
import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { createInterface } from "node:readline";

const LISTENER = `
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held), flush=True)
sys.stdin.read()
`;

export interface SilentPorts {
  ports: number[];
  stop(): void;
}

export async function startSilentPorts(count: number): Promise<SilentPorts> {
  const child: ChildProcess = spawn("python3", ["-c", LISTENER, String(count)], { stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    createInterface({ input: child.stdout! }).once("line", resolve);
  });
  const ports = line.split(" ").map(Number);
  const fillers: Socket[] = await Promise.all(ports.map((port) => new Promise<Socket>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  })));
  return {
    ports,
    stop: () => {
      fillers.forEach((s) => s.destroy());
      child.stdin!.end();
      child.kill();
    },
  };
}

/** A loopback port that accepts every connection and never sends a byte (it reads and drops what it gets). */
export interface MutePort {
  port: number;
  /** Connections it has accepted so far. */
  accepted(): number;
  stop(): Promise<void>;
}

export async function startMutePort(): Promise<MutePort> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    stop: () => new Promise<void>((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
}
