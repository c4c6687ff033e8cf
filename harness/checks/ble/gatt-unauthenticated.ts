// ble.gatt-unauthenticated: what can a central that never paired read from the device and write
// to it — personal data, control points (EN 303 645 provisions 5.5-5 and 5.8-2)?
import { TransportError } from "../../core/errors.js";
import type { Check, CheckContext, FindingInput, Outcome, Severity } from "../../core/types.js";
import { systemRadio, type BleConnection, type GattCharacteristic, type RadioSource } from "../../transports/ble.js";
import { ownerDataIn, personalDataName, shortUuid, textOf, writeRisk } from "./gatt-knowledge.js";
import { GATT_TIMEOUT_MS, withPeripheral } from "./radio-session.js";

type Attempt =
  | { state: "value"; bytes: number }
  | { state: "empty" }
  /** The device answered with an error: it wants pairing, or does not allow it at all. */
  | { state: "refused"; reason: string }
  | { state: "accepted" }
  | { state: "not tried"; reason: string };

interface Examined {
  c: GattCharacteristic;
  read?: Attempt;
  write?: Attempt;
  findings: FindingInput[];
}

const show = (a: Attempt) => (a.state === "value" ? `${a.bytes} bytes` : "reason" in a ? `${a.state}: ${a.reason}` : a.state);
const label = (c: GattCharacteristic, name?: string) => `${name ? `${name} ` : ""}(${shortUuid(c.uuid)} in service ${shortUuid(c.service)})`;

/**
 * Reads and writes go one at a time; after a timeout the device (or the stack: noble's Linux
 * bindings never answer a request whose pairing failed) is not asked anything more.
 */
class Prober {
  stoppedBy: string | undefined;

  constructor(private readonly connection: BleConnection) {}

  async attempt(what: () => Promise<Attempt>): Promise<Attempt> {
    if (this.stoppedBy) return { state: "not tried", reason: this.stoppedBy };
    try {
      return await what();
    } catch (err) {
      if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
      if (err.kind === "refused") return { state: "refused", reason: err.message };
      this.stoppedBy = `stopped after ${err.kind}: ${err.message}`;
      return { state: "not tried", reason: this.stoppedBy };
    }
  }

  async read(c: GattCharacteristic): Promise<{ attempt: Attempt; value?: Buffer }> {
    let value: Buffer | undefined;
    const attempt = await this.attempt(async () => {
      value = await this.connection.read(c, GATT_TIMEOUT_MS);
      // noble's Linux bindings report a refused read as an empty value: empty proves nothing
      return value.length ? { state: "value", bytes: value.length } : { state: "empty" };
    });
    return value?.length ? { attempt, value } : { attempt };
  }

  write(c: GattCharacteristic, data: Buffer): Promise<Attempt> {
    return this.attempt(async () => {
      await this.connection.write(c, data, GATT_TIMEOUT_MS);
      return { state: "accepted" };
    });
  }
}

async function examine(ctx: CheckContext, prober: Prober, c: GattCharacteristic): Promise<Examined> {
  const target = { transport: "ble" as const, address: ctx.device.ble!.address, service: shortUuid(c.service) };
  const where = { service: shortUuid(c.service), characteristic: shortUuid(c.uuid) };
  const examined: Examined = { c, findings: [] };
  let value: Buffer | undefined;
  if (c.properties.includes("read")) {
    const read = await prober.read(c);
    examined.read = read.attempt;
    value = read.value;
    const personal = personalDataName(c.uuid);
    if (value && personal) {
      // The value itself stays out of the report: it is someone's personal data
      examined.findings.push({ severity: "high", title: `${label(c, personal)} can be read without pairing`, target, evidence: { ...where, name: personal, bytes: value.length } });
    } else if (value) {
      for (const leak of ownerDataIn(textOf(value))) {
        examined.findings.push({ severity: "medium", title: `${label(c)} shows ${leak.title} without pairing`, target, evidence: { ...where, pattern: leak.id } });
      }
    }
  }
  if (c.properties.includes("write")) {
    if (!ctx.options.stateChanging) {
      examined.write = { state: "not tried", reason: "writes need --state-changing" };
    } else {
      // Writing back what was read changes nothing on most devices; a write-only one gets an empty value
      examined.write = await prober.write(c, value ?? Buffer.alloc(0));
      if (examined.write.state === "accepted") {
        const risk = writeRisk(c.uuid);
        examined.findings.push({ severity: risk.severity, title: `${label(c, risk.name)} takes writes without pairing`, target, evidence: { ...where, ...(risk.name ? { name: risk.name } : {}) } });
      }
    }
  } else if (c.properties.includes("writeWithoutResponse")) {
    examined.write = { state: "not tried", reason: "unacknowledged writes: whether one was taken cannot be observed" };
  }
  return examined;
}

const worst = (findings: FindingInput[]): Severity | undefined =>
  (["critical", "high", "medium", "low", "info"] as const).find((s) => findings.some((f) => f.severity === s));

function judge(examined: Examined[], services: number, discoveryError: TransportError | undefined, stoppedBy: string | undefined): Outcome {
  const findings = examined.flatMap((e) => e.findings);
  const evidence = {
    services,
    characteristics: examined.map((e) => ({
      service: shortUuid(e.c.service), uuid: shortUuid(e.c.uuid), properties: e.c.properties,
      ...(e.read ? { read: show(e.read) } : {}), ...(e.write ? { write: show(e.write) } : {}),
    })),
    ...(discoveryError ? { discoveryStopped: discoveryError.message } : {}),
  };
  if (findings.length) {
    return { verdict: "fail", summary: `open without pairing (worst ${worst(findings)}): ${findings.map((f) => f.title).join("; ")}`, findings, evidence };
  }
  if (discoveryError) {
    return { verdict: "inconclusive", summary: `discovery stopped after ${services} services: ${discoveryError.message}`, evidence };
  }
  if (stoppedBy) return { verdict: "inconclusive", summary: `not every characteristic could be tried: ${stoppedBy}`, evidence };
  const unwritten = examined.filter((e) => e.write?.state === "not tried" && e.c.properties.includes("write"));
  if (unwritten.length) {
    return { verdict: "inconclusive", summary: `nothing readable without pairing, but ${unwritten.length} writable characteristics were not written (writes need --state-changing)`, evidence };
  }
  const refused = examined.filter((e) => e.read?.state === "refused" || e.write?.state === "refused").length;
  return { verdict: "pass", summary: `${examined.length} characteristics in ${services} services: no personal data readable and no write taken without pairing; ${refused} refused an unpaired central`, evidence };
}

/** The check over a given radio; `gattUnauthenticated` uses the system's adapter. */
export function gattUnauthenticatedCheck(radio: RadioSource): Check {
  return {
    id: "ble.gatt-unauthenticated",
    title: "GATT data and controls need pairing",
    description:
      "Connects to the descriptor's BLE address without pairing, discovers every service and characteristic, reads " +
      "each readable one and fails on personal data (the User Data, health and location characteristics of " +
      "harness/data/ble-personal-data.yaml, or owner data in any value). With --state-changing it also writes each " +
      "writable characteristic (back the value it read, or an empty one) and fails when the device takes it, worst for " +
      "control points such as DFU (harness/data/ble-control-points.yaml); without it, writable characteristics leave " +
      "the check inconclusive. Note: noble's Linux bindings pair Just Works on their own when a characteristic asks " +
      "for encryption, so there 'readable without pairing' means 'without authenticated pairing'.",
    effect: "intrusive",
    needs: ["ble"],

    plan(device) {
      const address = device.ble?.address;
      if (!address) return [];
      return [
        { address, port: "-", protocol: "ble-scan", count: 1 },
        { address, port: "-", protocol: "ble", count: 1, note: "reads every readable characteristic" },
        { address, port: "-", protocol: "ble-write", count: "each writable characteristic", note: "only with --state-changing" },
      ];
    },

    run: (ctx) => withPeripheral(ctx, radio, { settleMs: 0, connect: true }, async (_, connection) => {
      ctx.progress(`discovering ${ctx.device.ble!.address}`);
      const discovery = await connection!.discover(GATT_TIMEOUT_MS);
      const prober = new Prober(connection!);
      const examined: Examined[] = [];
      for (const [i, c] of discovery.characteristics.entries()) {
        ctx.progress(`characteristic ${i + 1} of ${discovery.characteristics.length}`);
        examined.push(await examine(ctx, prober, c));
      }
      return judge(examined, discovery.services, discovery.error, prober.stoppedBy);
    }),
  };
}

export const gattUnauthenticated = gattUnauthenticatedCheck(systemRadio);
