// A lab network's devices for the distributed campaign test, in a process of its own so that it
// runs inside the lab's network namespace: node --import tsx simulated-lab.ts HOST COUNT LAB DIR
// starts COUNT simulated devices (plugs and thermostats in turn) on HOST, writes each descriptor
// to DIR/<id>.yaml with its lab, and keeps DIR/<lab>-connections.json up to date: the connections
// each device has accepted, which tells whether a device was probed a second time.
import { writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { startPlug } from "../../devices/simulated/plug.js";
import { startThermostat } from "../../devices/simulated/thermostat.js";
import type { SimulatedDevice } from "../../devices/simulated/device.js";

const [host, count, lab, dir] = process.argv.slice(2) as [string, string, string, string];
const devices = new Map<string, SimulatedDevice>();
for (let i = 0; i < Number(count); i++) {
  const sim = await (i % 2 === 0 ? startPlug({ host }) : startThermostat({ host }));
  const id = `${lab}-${sim.descriptor.id}-${i + 1}`;
  devices.set(id, sim);
  writeFileSync(join(dir, `${id}.yaml`), stringify({ ...sim.descriptor, id, lab }));
}

const countsFile = join(dir, `${lab}-connections.json`);
let last = "";
const write = () => {
  const counts = JSON.stringify(Object.fromEntries([...devices].map(([id, d]) => [id, d.connections()])));
  if (counts === last) return;
  last = counts;
  writeFileSync(`${countsFile}.tmp`, counts);
  renameSync(`${countsFile}.tmp`, countsFile);
};
write();
setInterval(write, 100);
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  write();
  void Promise.all([...devices.values()].map((d) => d.stop())).then(() => process.exit(0));
});
