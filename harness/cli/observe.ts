// iotcert observe mqtt: run the harness's own MQTT broker (plain and TLS) for the lab to point a
// device at, record what the device does there, and write mqtt-observation.json where the next
// `iotcert run` of that device finds it.
import { mkdir } from "node:fs/promises";
import { InputTooLarge, readInputFile } from "../core/input-file.js";
import { dirname, join } from "node:path";
import { loadDescriptor } from "../schema/load.js";
import { loadSiblings, siblingsOf } from "../schema/siblings.js";
import { OBSERVATION_FILE, type MqttObservation } from "../observe/mqtt-observation.js";
import { MqttObserver } from "../observe/mqtt-observer.js";
import { selfSignedCertificate, type KeyAndCertificate } from "../observe/self-signed.js";
import { writeFileAtomic } from "../../reports/atomic.js";
import { abortOnInterrupt } from "./interrupt.js";
import { BadInput, type Io } from "./io.js";
import { terminalSafe } from "./terminal-safe.js";

export interface ObserveFlags {
  device?: string;
  listen: string;
  port: string;
  tlsPort: string;
  duration?: string;
  out?: string;
  cert?: string;
  key?: string;
}

const port = (value: string, flag: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new BadInput(`${flag} must be a port number (0 picks a free one), not "${value}"`);
  return n;
};

/** Descriptor ids by address: the unit and its siblings, so sessions say which unit they are. */
async function unitsOf(file: string): Promise<{ id: string; units: Map<string, string> }> {
  const device = await loadDescriptor(file);
  const units = new Map<string, string>();
  if (device.network) units.set(device.network.address, device.id);
  for (const sibling of siblingsOf(device, await loadSiblings(device, file))) units.set(sibling.address, sibling.id);
  return { id: device.id, units };
}

async function certificate(flags: ObserveFlags, host: string): Promise<KeyAndCertificate> {
  if (!!flags.cert !== !!flags.key) throw new BadInput("--cert and --key go together");
  if (flags.cert && flags.key) {
    const read = (f: string) => readInputFile(f).then((b) => b.toString("utf8"), (err: Error) => { throw new BadInput(err instanceof InputTooLarge ? err.message : `${f}: ${err.message}`); });
    return { certPem: await read(flags.cert), keyPem: await read(flags.key) };
  }
  return selfSignedCertificate("iotcert observation broker", host === "0.0.0.0" || host === "::" ? ["127.0.0.1"] : [host]);
}

export async function observeMqttCommand(flags: ObserveFlags, io: Io): Promise<number> {
  const units = flags.device ? await unitsOf(flags.device) : undefined;
  const out = flags.out ?? (units ? join("iotcert-out", units.id, OBSERVATION_FILE) : OBSERVATION_FILE);
  const seconds = flags.duration === undefined ? undefined : Number(flags.duration);
  if (seconds !== undefined && !(seconds > 0)) throw new BadInput(`--duration must be a number of seconds, not "${flags.duration}"`);
  const observer = await MqttObserver.start({
    host: flags.listen,
    port: port(flags.port, "--port"),
    tlsPort: port(flags.tlsPort, "--tls-port"),
    tls: await certificate(flags, flags.listen),
    ...(units ? { units: units.units } : {}),
  });
  io.err.write(`observing: point the device at mqtt://${observer.listeners.mqtt} and mqtts://${observer.listeners.mqtts}` +
    `${seconds ? ` (for ${seconds} s)` : ""}; Ctrl-C ends the observation\n`);
  const interrupt = abortOnInterrupt(io.err);
  let observation: MqttObservation;
  try {
    await new Promise<void>((done) => {
      const timer = seconds ? setTimeout(done, seconds * 1000) : undefined;
      interrupt.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        done();
      }, { once: true });
    });
  } finally {
    interrupt.dispose();
    observation = await observer.stop();
  }
  await mkdir(dirname(out), { recursive: true });
  // It holds the user names and passwords the devices sent: readable by its owner only.
  await writeFileAtomic(out, `${JSON.stringify(observation, null, 2)}\n`, 0o600);
  for (const s of observation.sessions) {
    io.out.write(`${terminalSafe(`${s.unit ?? s.address}: ${s.transport}${s.clientCertificate ? " with a client certificate" : ""}, ` +
      `${s.username !== undefined ? `user "${s.username}"` : "no credentials"}, ${s.published} messages on ${s.topics.length} topics` +
      `${s.secrets.length ? `, ${s.secrets.length} secrets in payloads` : ""}`)}\n`);
  }
  io.out.write(`${observation.sessions.length} sessions observed; written to ${out}\n`);
  return 0;
}
