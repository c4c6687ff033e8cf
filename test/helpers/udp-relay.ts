// A UDP relay that counts what it carries: the bytes on the wire between a check and a server.
import { createSocket, type Socket } from "node:dgram";

/**
 * A UDP relay on loopback in front of `target`, counting the bytes of every datagram it carries
 * each way: the bytes on the wire, as a capture would count them (UDP payload).
 */
export async function countingRelay(targetHost: string, targetPort: number): Promise<{ port: number; toServer: number[]; toClient: number[]; close: () => void }> {
  const front = createSocket("udp4");
  const toServer: number[] = [];
  const toClient: number[] = [];
  const backs = new Map<string, Socket>();
  front.on("message", (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let back = backs.get(key);
    if (!back) {
      back = createSocket("udp4");
      back.on("message", (answer) => {
        toClient.push(answer.length);
        front.send(answer, from.port, from.address);
      });
      backs.set(key, back);
    }
    toServer.push(msg.length);
    back.send(msg, targetPort, targetHost);
  });
  await new Promise<void>((resolve) => front.bind(0, "127.0.0.1", () => resolve()));
  const close = () => {
    for (const b of backs.values()) b.close();
    front.close();
  };
  return { port: front.address().port, toServer, toClient, close };
}

