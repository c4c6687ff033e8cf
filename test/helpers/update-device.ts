// A simulated device that updates itself over loopback, as a real one does from its update host:
// it polls the manifest, fetches the image and its signature, and installs — or refuses — by its
// policy: whether it verifies the vendor's Ed25519 signature, and whether it refuses versions older
// than the one it runs. It reports the version it runs on an HTTP endpoint and, given a broker, as a
// retained MQTT message.
import { verify, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import mqtt, { type MqttClient } from "mqtt";
import { compareVersions } from "../../harness/firmware/versions.js";

export interface UpdatePolicy {
  verifiesSignature: boolean;
  refusesOlder: boolean;
}

export interface UpdatingDevice {
  /** GET here returns {"version": "…"}. */
  versionUrl: string;
  readonly version: string;
  /** What it did with each offer it looked at: "installed 1.0.4", "refused 1.0.4: bad signature", … */
  readonly log: string[];
  stop(): Promise<void>;
}

export async function startUpdatingDevice(opts: {
  updateBase: string;
  vendorKey: KeyObject;
  running: string;
  policy: UpdatePolicy;
  /** Publish the version, retained, on this topic of this broker. */
  mqtt?: { url: string; topic: string };
}): Promise<UpdatingDevice> {
  let running = opts.running;
  const log: string[] = [];
  let client: MqttClient | undefined;
  const publish = async () => {
    await client?.publishAsync(opts.mqtt!.topic, running, { retain: true, qos: 0 });
  };
  if (opts.mqtt) {
    client = await mqtt.connectAsync(opts.mqtt.url, { reconnectPeriod: 0 });
    await publish();
  }

  const server: Server = createServer((req, res) => {
    if (req.url === "/api/version") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ model: "P1", version: running }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  const get = async (path: string): Promise<Buffer | undefined> => {
    const res = await fetch(`${opts.updateBase}${path}`).catch(() => undefined);
    return res?.ok ? Buffer.from(await res.arrayBuffer()) : undefined;
  };
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const manifest = await get("/manifest.json");
      if (!manifest) return;
      const offered = (JSON.parse(manifest.toString()) as { version: string }).version;
      if (offered === running) return;
      if (opts.policy.refusesOlder && compareVersions(offered, running) < 0) {
        log.push(`refused ${offered}: older than ${running}`);
        return;
      }
      const [image, signature] = await Promise.all([get("/fw.bin"), get("/fw.bin.sig")]);
      if (!image) return;
      if (opts.policy.verifiesSignature && !(signature && verify(null, image, opts.vendorKey, signature))) {
        log.push(`refused ${offered}: bad signature`);
        return;
      }
      running = offered;
      log.push(`installed ${offered}`);
      await publish();
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), 100);

  return {
    versionUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/version`,
    get version() {
      return running;
    },
    log,
    async stop() {
      clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client?.endAsync();
    },
  };
}
