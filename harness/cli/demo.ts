// iotcert demo: start the built-in simulated devices on loopback, certify each, stop them.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { startPlug } from "../../devices/simulated/plug.js";
import { startThermostat } from "../../devices/simulated/thermostat.js";
import type { SimulatedDevice } from "../../devices/simulated/device.js";
import { Pace } from "../core/pace.js";
import { ValidationError, validateDocumentValue } from "../schema/load.js";
import { certifyToFolder } from "./certify-to-folder.js";
import { abortOnInterrupt } from "./interrupt.js";
import type { Io } from "./io.js";
import { printOutcome } from "./print-outcome.js";
import { ProgressLine } from "./progress-line.js";
import { DEFAULT_PROFILE, resolveProfileWithSources } from "./profiles-source.js";

const SIMULATED = [startPlug, startThermostat];

export async function demoCommand(flags: { out?: string; verbose?: boolean }, io: Io): Promise<number> {
  const outRoot = flags.out ?? "iotcert-demo";
  const { profile, sources } = await resolveProfileWithSources(DEFAULT_PROFILE);
  const interrupt = abortOnInterrupt(io.err);
  const devices: SimulatedDevice[] = [];
  let complete = true;
  try {
    for (const start of SIMULATED) devices.push(await start());
    io.out.write(`started ${devices.length} simulated devices on loopback; certifying against ${profile.id}\n\n`);
    for (const sim of devices) {
      if (interrupt.signal.aborted) break;
      const out = join(outRoot, sim.descriptor.id);
      const issues = validateDocumentValue("descriptor", sim.descriptor, `${sim.descriptor.id} (simulated)`);
      if (issues.length) throw new ValidationError(issues);
      const progress = new ProgressLine(io.err as NodeJS.WriteStream, `${sim.descriptor.id} `);
      const { report, files } = await certifyToFolder({
        device: sim.descriptor, profile, out,
        pace: Pace.named("normal"),
        options: { allowFragile: false, stateChanging: false },
        signal: interrupt.signal,
        inputs: { profile: sources },
        verbose: !!flags.verbose,
        ...(flags.verbose ? {} : { onProgress: (p) => progress.update(p) }),
      });
      progress.clear();
      // The descriptor the demo made up, so the run can be repeated with `iotcert run` while it is up.
      writeFileSync(join(out, "descriptor.yaml"), stringify(sim.descriptor));
      printOutcome(report, files, io.out);
      io.out.write("\n");
      complete &&= report.complete;
    }
  } finally {
    await Promise.all(devices.map((d) => d.stop()));
    interrupt.dispose();
  }
  return complete && !interrupt.signal.aborted ? 0 : 3;
}
