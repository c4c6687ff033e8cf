// Bluetooth Low Energy through noble: find the descriptor's peripheral by its address, connect,
// discover, read, write and pair — each step bounded in time, through the run context. The scope
// for BLE is the one address the descriptor names.
import type { Characteristic, DevicePairingKinds, DevicePairingProtectionLevel, Noble, Peripheral } from "@stoprocent/noble";
import { TransportError, type TransportErrorKind } from "../core/errors.js";
import type { CheckContext } from "../core/types.js";

/** The part of the run context a BLE transport needs. */
export type BleLink = Pick<CheckContext, "device" | "pace" | "signal" | "evidence">;

/** Where a check gets its radio: noble over the lab's adapter, or over bindings a test emulates. */
export type RadioSource = () => Promise<Noble>;

/** noble over the system's adapter (HCI socket on Linux), loaded only when a BLE check runs. */
export const systemRadio: RadioSource = async () => (await import("@stoprocent/noble")).withBindings("default");

const POWER_ON_TIMEOUT_MS = 5000;
/** An advertisement and its scan response, and one more to be sure nothing else is coming. */
const ENOUGH_REPORTS = 3;
/** GATT tables of real devices hold a few dozen entries; a hostile one gets no more than this. */
const MAX_SERVICES = 64;
const MAX_CHARACTERISTICS = 512;
/** The longest attribute value ATT allows (Core spec Vol 3 Part F 3.2.9). */
const MAX_VALUE_BYTES = 512;
/** Just Works, the ceremony without a PIN or comparison; with link encryption (WinRT's values). */
const CONFIRM_ONLY: DevicePairingKinds = 0x08;
const ENCRYPTION: DevicePairingProtectionLevel = 2;

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function assertInScope(link: BleLink, address: string): void {
  const declared = link.device.ble?.address;
  if (!declared || !sameAddress(address, declared)) {
    throw new TransportError("out-of-scope", `refused to contact BLE address ${address}: the device descriptor names ${declared ? `only ${declared}` : "no BLE address"}`);
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Adapter states that will not turn into poweredOn by waiting. */
const HOPELESS = new Set(["unsupported", "unauthorized"]);

/**
 * Wait for the adapter. noble's Linux bindings, once started, exit the process on Ctrl-C when
 * their SIGINT handler is the last one; the run's own handler must decide instead (it writes the
 * partial report), so the handlers starting the radio added are taken out again.
 */
async function powerOn(radio: Noble): Promise<void> {
  const before = new Set(process.listeners("SIGINT"));
  try {
    await new Promise<void>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        radio.removeListener("stateChange", onState);
        outcome();
      };
      const fail = () => reject(new TransportError("unreachable",
        `no usable Bluetooth adapter (state "${radio.state}"): is one plugged in, powered, free of BlueZ, and may this process use it?`));
      const onState = (state: string) => {
        if (state === "poweredOn") settle(resolve);
        else if (HOPELESS.has(state)) settle(fail);
      };
      const timer = setTimeout(() => settle(fail), POWER_ON_TIMEOUT_MS);
      // Listening for the state is what starts noble's bindings
      radio.on("stateChange", onState);
      if (radio.state === "poweredOn") settle(resolve);
    });
  } finally {
    for (const listener of process.listeners("SIGINT")) if (!before.has(listener)) process.off("SIGINT", listener);
  }
}

export interface Sighting {
  peripheral: Peripheral;
  /** Advertising reports heard from the address during the scan. */
  reports: number;
}

/**
 * Scan for `address` until it is heard and then `settleMs` more (its scan response completes the
 * advertisement) or a few more reports came, or until `timeoutMs`. The adapter hears every
 * advertiser in range; only reports from `address` are kept. Undefined when it was not heard.
 */
export async function findPeripheral(link: BleLink, radio: Noble, address: string, limits: { timeoutMs: number; settleMs: number }): Promise<Sighting | undefined> {
  assertInScope(link, address);
  await powerOn(radio);
  link.evidence.probe(address, 0, "ble-scan");
  return new Promise((resolve, reject) => {
    let found: Peripheral | undefined;
    let reports = 0;
    let settling: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      clearTimeout(settling);
      link.signal.removeEventListener("abort", onAbort);
      radio.removeListener("discover", onDiscover);
      radio.stopScanning();
    };
    const finish = () => {
      stop();
      resolve(found && { peripheral: found, reports });
    };
    const onDiscover = (p: Peripheral) => {
      if (!sameAddress(p.address, address)) return;
      if (!found) link.evidence.answer(address, "ble-scan");
      found = p;
      if (++reports >= ENOUGH_REPORTS) finish();
      else settling ??= setTimeout(finish, limits.settleMs);
    };
    const onAbort = () => {
      stop();
      reject(new TransportError("aborted", `BLE scan for ${address}: aborted`));
    };
    const timer = setTimeout(finish, limits.timeoutMs);
    if (link.signal.aborted) return onAbort();
    link.signal.addEventListener("abort", onAbort, { once: true });
    radio.on("discover", onDiscover);
    radio.startScanningAsync([], true).catch((err) => {
      stop();
      reject(new TransportError("unreachable", `BLE scan for ${address} did not start: ${messageOf(err)}`, { cause: err }));
    });
  });
}

export interface GattCharacteristic {
  service: string;
  uuid: string;
  properties: string[];
  handle: Characteristic;
}

export interface Discovery {
  characteristics: GattCharacteristic[];
  services: number;
  /** Why discovery stopped before the end (the peripheral went away, or stopped answering). */
  error?: TransportError;
}

/** A connection to the descriptor's peripheral; every step fails as a TransportError. */
export class BleConnection {
  #gone: string | undefined;
  readonly #onGone = new Set<() => void>();

  constructor(
    readonly peripheral: Peripheral,
    private readonly link: BleLink,
    private readonly release: () => void,
  ) {
    peripheral.once("disconnect", (reason: unknown) => {
      this.#gone = `the peripheral disconnected (reason ${String(reason)})`;
      for (const wake of this.#onGone) wake();
    });
  }

  get address(): string {
    return this.peripheral.address;
  }

  /** Services, then each service's characteristics; what was found before a failure is kept. */
  async discover(timeoutMs: number): Promise<Discovery> {
    const characteristics: GattCharacteristic[] = [];
    let services = 0;
    try {
      const found = await this.#step("service discovery", "protocol", timeoutMs, () => this.peripheral.discoverServicesAsync([]));
      for (const service of found.slice(0, MAX_SERVICES)) {
        const chars = await this.#step(`characteristic discovery in service ${service.uuid}`, "protocol", timeoutMs, () => service.discoverCharacteristicsAsync([]));
        services++;
        for (const c of chars.slice(0, MAX_CHARACTERISTICS - characteristics.length)) {
          characteristics.push({ service: service.uuid, uuid: c.uuid, properties: [...c.properties], handle: c });
        }
      }
      return { characteristics, services };
    } catch (err) {
      if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
      return { characteristics, services, error: err };
    }
  }

  /** Read a value; the device's refusal (an ATT error) is a TransportError "refused". */
  async read(c: GattCharacteristic, timeoutMs: number): Promise<Buffer> {
    const value = await this.#step(`read of ${c.uuid}`, "refused", timeoutMs, () => c.handle.readAsync());
    return value.subarray(0, MAX_VALUE_BYTES);
  }

  /** Write with response, so the device's acceptance is observed; each write is a "ble-write" probe. */
  async write(c: GattCharacteristic, data: Buffer, timeoutMs: number): Promise<void> {
    this.link.evidence.probe(this.address, 0, "ble-write");
    await this.#step(`write to ${c.uuid}`, "refused", timeoutMs, () => c.handle.writeAsync(data, false));
  }

  /**
   * Ask for Just Works pairing with encryption. Only stacks that implement pairing (noble's
   * Windows bindings) answer; the others fail with noble's "not supported on this platform".
   */
  async pairJustWorks(timeoutMs: number): Promise<void> {
    this.link.evidence.probe(this.address, 0, "ble-pair");
    await this.#step("Just Works pairing", "refused", timeoutMs, () => this.peripheral.pairAsync(CONFIRM_ONLY, ENCRYPTION));
  }

  async close(): Promise<void> {
    try {
      if (!this.#gone) await this.#step("disconnect", "protocol", 2000, () => this.peripheral.disconnectAsync());
    } catch {
      // Gone either way: the adapter drops the link when the radio stops
    } finally {
      this.release();
    }
  }

  /** Run one GATT step, bounded in time, ended early by a disconnect or the run's abort. */
  #step<T>(what: string, failure: TransportErrorKind, timeoutMs: number, start: () => Promise<T>): Promise<T> {
    const where = `${this.address}: ${what}`;
    if (this.#gone) return Promise.reject(new TransportError("closed", `${where}: ${this.#gone}`));
    return new Promise<T>((resolve, reject) => {
      const signal = this.link.signal;
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#onGone.delete(onGone);
        outcome();
      };
      const onAbort = () => settle(() => reject(new TransportError("aborted", `${where}: aborted`)));
      const onGone = () => settle(() => reject(new TransportError("closed", `${where}: ${this.#gone}`)));
      const timer = setTimeout(() => settle(() => reject(new TransportError("timeout", `${where}: no answer within ${timeoutMs} ms`))), timeoutMs);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#onGone.add(onGone);
      start().then(
        (value) => settle(() => resolve(value)),
        (err) => settle(() => reject(this.#gone
          ? new TransportError("closed", `${where}: ${this.#gone}`)
          : new TransportError(failure, `${where}: ${messageOf(err)}`, { cause: err }))),
      );
    });
  }
}

/** Connect to a peripheral the scan found. Throws TransportError: out-of-scope, timeout, refused. */
export async function connectBle(link: BleLink, peripheral: Peripheral, timeoutMs: number): Promise<BleConnection> {
  assertInScope(link, peripheral.address);
  const release = await link.pace.acquire(link.signal);
  link.evidence.probe(peripheral.address, 0, "ble");
  const where = peripheral.address;
  try {
    await new Promise<void>((resolve, reject) => {
      const signal = link.signal;
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        outcome();
      };
      const giveUp = (err: TransportError) => settle(() => {
        peripheral.cancelConnect();
        reject(err);
      });
      const onAbort = () => giveUp(new TransportError("aborted", `${where}: connect aborted`));
      const timer = setTimeout(() => giveUp(new TransportError("timeout", `${where}: no connection within ${timeoutMs} ms`)), timeoutMs);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      peripheral.connectAsync().then(
        () => settle(resolve),
        (err) => settle(() => reject(new TransportError("refused", `${where}: connection failed: ${messageOf(err)}`, { cause: err }))),
      );
    });
  } catch (err) {
    release();
    throw err;
  }
  return new BleConnection(peripheral, link, release);
}
