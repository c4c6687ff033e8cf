// Whether a UDP agent on loopback answers a datagram in time: how tests wait for an agent they
// started (snmpd) to be ready.
import { createSocket } from "node:dgram";

export function udpAnswers(payload: Buffer, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    s.once("message", () => done(true));
    s.send(payload, port, "127.0.0.1");
  });
}
