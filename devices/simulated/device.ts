// What every simulated device gives the demo and the tests: its descriptor, where it listens, and
// two ways to end it — freeze (it crashed) and stop (it was switched off cleanly) — and how many
// connections it has accepted.
import type { Server, Socket } from "node:net";
import type { Descriptor } from "../../harness/schema/types.js";

export interface SimulatedDevice {
  descriptor: Descriptor;
  host: string;
  /** Port of each service by name ("telnet", "http", …). */
  ports: Record<string, number>;
  /** Connections accepted since it started: how a test tells whether the device was probed again. */
  connections(): number;
  /** Stop answering: close every listener and destroy every open socket, as a crashed device would. */
  freeze(): void;
  stop(): Promise<void>;
}

/**
 * Freeze and stop for a set of servers, tracking their sockets from the moment they connect;
 * `release` runs once they are all closed by stop (the device gives its port window back).
 */
export function lifecycle(servers: Server[], release: () => void = () => {}): Pick<SimulatedDevice, "connections" | "freeze" | "stop"> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  for (const server of servers) {
    server.on("connection", (socket: Socket) => {
      accepted++;
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
  }
  const freeze = () => {
    for (const server of servers) if (server.listening) server.close();
    for (const socket of sockets) socket.destroy();
  };
  return {
    connections: () => accepted,
    freeze,
    stop: async () => {
      const closed = servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())));
      freeze();
      await Promise.all(closed);
      release();
    },
  };
}
