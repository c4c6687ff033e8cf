// An emulated BLE peripheral behind noble's bindings interface, so the BLE checks drive the real
// noble library (its Noble class, peripheral, service and characteristic objects) with no radio.
// The bindings here play the part noble's HCI bindings play on Linux: they take noble's calls
// (startScanning, connect, discoverServices, read, write, pair, …) and answer with the events
// noble listens for (stateChange, discover, connect, servicesDiscover, read, write, disconnect, …).
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { Noble, PeripheralAdvertisement } from "@stoprocent/noble";
import type { RadioSource } from "../../harness/transports/ble.js";

export interface EmulatedCharacteristic {
  uuid: string;
  properties: ("read" | "write" | "writeWithoutResponse" | "notify" | "indicate")[];
  value?: Buffer;
  /** The ATT error a read or write gets, as the stack reports it (an unpaired central's lot). */
  refuse?: string;
}

export interface EmulatedService {
  uuid: string;
  characteristics: EmulatedCharacteristic[];
}

export interface EmulatedPeripheral {
  address: string;
  addressType: "public" | "random";
  advertisement: Partial<PeripheralAdvertisement>;
  services: EmulatedService[];
  /** Drop the link when asked for the characteristics of this service. */
  disconnectDuringDiscoveryOf?: string;
  /**
   * How the device answers a pairing request, as noble's Windows bindings report it; absent:
   * the bindings have no pair() at all, like noble's Linux and macOS ones.
   */
  pairing?: { paired: true } | { paired: false; error: string };
}

/** What the emulated device saw a central do, for asserting on. */
export interface Seen {
  connects: number;
  reads: string[];
  writes: { uuid: string; data: Buffer }[];
  pairings: number;
}

const NobleClass = createRequire(import.meta.url)("@stoprocent/noble/lib/noble.js") as new (bindings: unknown) => Noble;

const ADVERTISING_INTERVAL_MS = 20;
const idOf = (address: string) => address.replace(/:/g, "").toLowerCase();

class EmulatedBindings extends EventEmitter {
  #advertising: NodeJS.Timeout | undefined;
  #connected = false;

  constructor(private readonly device: EmulatedPeripheral, private readonly seen: Seen) {
    super();
    if (device.pairing) this.pair = this.#pair;
  }

  /** Present only when the emulated stack supports pairing (noble checks for the method). */
  pair?: (id: string, kind: number, level: number) => void;

  start(): void {
    setImmediate(() => this.emit("stateChange", "poweredOn"));
  }

  stop(): void {
    clearInterval(this.#advertising);
  }

  addressToId(address: string): string {
    return idOf(address);
  }

  startScanning(): void {
    setImmediate(() => this.emit("scanStart", false));
    const d = this.device;
    const advertisement = { serviceData: [], serviceUuids: [], serviceSolicitationUuids: [], ...d.advertisement };
    clearInterval(this.#advertising);
    this.#advertising = setInterval(() => {
      if (!this.#connected) this.emit("discover", idOf(d.address), d.address, d.addressType, true, advertisement, -52, true);
    }, ADVERTISING_INTERVAL_MS);
  }

  stopScanning(): void {
    clearInterval(this.#advertising);
    setImmediate(() => this.emit("scanStop"));
  }

  connect(id: string): void {
    this.seen.connects++;
    this.#connected = true;
    setImmediate(() => this.emit("connect", id, undefined));
  }

  cancelConnect(): void {}

  disconnect(id: string): void {
    this.#drop(id, "local host terminated connection");
  }

  discoverServices(id: string): void {
    setImmediate(() => this.emit("servicesDiscover", id, this.device.services.map((s) => s.uuid)));
  }

  discoverCharacteristics(id: string, serviceUuid: string): void {
    if (serviceUuid === this.device.disconnectDuringDiscoveryOf) return this.#drop(id, 0x13);
    const service = this.#service(serviceUuid);
    const characteristics = service.characteristics.map((c) => ({ uuid: c.uuid, properties: c.properties }));
    setImmediate(() => this.emit("characteristicsDiscover", id, serviceUuid, characteristics));
  }

  read(id: string, serviceUuid: string, uuid: string): void {
    const c = this.#characteristic(serviceUuid, uuid);
    this.seen.reads.push(uuid);
    setImmediate(() => this.emit("read", id, serviceUuid, uuid, c.refuse ? Buffer.alloc(0) : c.value ?? Buffer.alloc(0), false, c.refuse ? new Error(c.refuse) : undefined));
  }

  write(id: string, serviceUuid: string, uuid: string, data: Buffer): void {
    const c = this.#characteristic(serviceUuid, uuid);
    this.seen.writes.push({ uuid, data: Buffer.from(data) });
    setImmediate(() => this.emit("write", id, serviceUuid, uuid, c.refuse ? new Error(c.refuse) : undefined));
  }

  #pair(id: string): void {
    this.seen.pairings++;
    const answer = this.device.pairing!;
    setImmediate(() => this.emit("pair", id, answer.paired, answer.paired ? undefined : answer.error));
  }

  #drop(id: string, reason: unknown): void {
    this.#connected = false;
    setImmediate(() => this.emit("disconnect", id, reason));
  }

  #service(uuid: string): EmulatedService {
    const service = this.device.services.find((s) => s.uuid === uuid);
    if (!service) throw new Error(`emulated peripheral has no service ${uuid}`);
    return service;
  }

  #characteristic(serviceUuid: string, uuid: string): EmulatedCharacteristic {
    const c = this.#service(serviceUuid).characteristics.find((x) => x.uuid === uuid);
    if (!c) throw new Error(`emulated peripheral has no characteristic ${uuid}`);
    return c;
  }
}

/** A radio source for a check: each run gets a fresh noble over bindings emulating `device`. */
export function emulatedRadio(device: EmulatedPeripheral): { source: RadioSource; seen: Seen } {
  const seen: Seen = { connects: 0, reads: [], writes: [], pairings: 0 };
  return { source: async () => new NobleClass(new EmulatedBindings(device, seen)), seen };
}
