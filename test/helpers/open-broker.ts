// An MQTT broker on loopback that lets anyone in (aedes, as a cheap device's broker would be), with
// retained messages another unit left there.
import { createServer, type Socket } from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";

export interface OpenBroker {
  port: number;
  stop(): Promise<void>;
}

export async function startOpenBroker(retained: { topic: string; payload: string }[] = []): Promise<OpenBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((s) => aedes.handle(s));
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  if (retained.length) {
    const other = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clientId: "plug-unit-2" });
    for (const m of retained) await other.publishAsync(m.topic, m.payload, { qos: 1, retain: true });
    await other.endAsync();
  }
  return {
    port,
    stop: () => new Promise<void>((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => aedes.close(() => resolve()));
    }),
  };
}
