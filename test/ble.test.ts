// The BLE checks drive the real noble library over bindings that emulate a peripheral (no radio
// here): an open smart lock that leaks its owner and takes any write, a locked-down one that
// refuses everything until paired, and one that drops the link in the middle of discovery.
import { describe, expect, it } from "vitest";
import { advertisingPrivacyCheck } from "../harness/checks/ble/advertising-privacy.js";
import { gattUnauthenticatedCheck } from "../harness/checks/ble/gatt-unauthenticated.js";
import { pairingCheck } from "../harness/checks/ble/pairing.js";
import type { RunOptions } from "../harness/core/types.js";
import type { Descriptor } from "../harness/schema/types.js";
import { findPeripheral } from "../harness/transports/ble.js";
import { emulatedRadio, type EmulatedPeripheral } from "./helpers/ble-peripheral.js";
import { makeContext } from "./helpers/context.js";

const DFU_CONTROL_POINT = "8ec90001f3154f609fb8838830daea50";
const NUS_RX = "6e400002b5a3f393e0a9e50e24dcca9e";
const INSUFFICIENT_AUTHENTICATION = "ATT error 0x05: Insufficient Authentication";

/** A smart lock's GATT table; `refuse` makes every value need pairing. */
function lockServices(refuse?: string, deviceName = "Alice's Smart Lock"): EmulatedPeripheral["services"] {
  const guarded = refuse ? { refuse } : {};
  return [
    { uuid: "1800", characteristics: [{ uuid: "2a00", properties: ["read"], value: Buffer.from(deviceName) }] },
    {
      uuid: "180a", characteristics: [
        { uuid: "2a24", properties: ["read"], value: Buffer.from("SmartLock L1") },
        { uuid: "2a26", properties: ["read"], value: Buffer.from("1.4.2") },
      ],
    },
    {
      uuid: "181c", characteristics: [
        { uuid: "2a8a", properties: ["read", "write"], value: Buffer.from("Alice"), ...guarded },
        { uuid: "2a87", properties: ["read"], value: Buffer.from("alice@example.com"), ...guarded },
        { uuid: "2a9f", properties: ["write", "indicate"], ...guarded },
      ],
    },
    { uuid: "fe59", characteristics: [{ uuid: DFU_CONTROL_POINT, properties: ["write", "notify"], ...guarded }] },
    {
      uuid: "6e400001b5a3f393e0a9e50e24dcca9e", characteristics: [
        { uuid: NUS_RX, properties: ["writeWithoutResponse"] },
        { uuid: "6e400003b5a3f393e0a9e50e24dcca9e", properties: ["notify"] },
      ],
    },
  ];
}

const OPEN_LOCK: EmulatedPeripheral = {
  address: "00:1a:7d:da:71:13",
  addressType: "public",
  advertisement: { localName: "Alice's Smart Lock", manufacturerData: Buffer.concat([Buffer.from([0x59, 0x00]), Buffer.from("SN:ACME12345678")]), serviceUuids: ["fe59"] },
  services: lockServices(),
  pairing: { paired: true },
};

const LOCKED_DOWN: EmulatedPeripheral = {
  address: "4c:3b:2a:19:08:f7",
  addressType: "random",
  advertisement: { localName: "Lock", serviceUuids: ["fe59"] },
  services: lockServices(INSUFFICIENT_AUTHENTICATION, "Lock"),
  pairing: { paired: false, error: "pairing failed with status RejectedByHandler" },
};

const descriptor = (p: EmulatedPeripheral): Descriptor => ({ id: "lock-unit1", vendor: "Acme", model: "SmartLock L1", firmware: "1.4.2", ble: { address: p.address.toUpperCase() } });
const contextFor = (p: EmulatedPeripheral, checkId: string, options: Partial<RunOptions> = {}) => makeContext({ device: descriptor(p), checkId, options });

describe("ble.advertising-privacy", () => {
  it("fails a lock that advertises its public address, its owner's name and its serial number", async () => {
    const { source } = emulatedRadio(OPEN_LOCK);
    const check = advertisingPrivacyCheck(source);
    const outcome = await check.run(contextFor(OPEN_LOCK, check.id));

    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.map((f) => f.title)).toEqual([
      "advertises with its public address, the same for its whole life: anyone in range can follow it",
      "its advertised name shows an owner's name",
      "its advertised manufacturer data shows a serial number",
    ]);
    expect(outcome.evidence).toMatchObject({ address: OPEN_LOCK.address, addressKind: "public", localName: "Alice's Smart Lock", reports: 3 });
  });

  it("passes a lock that advertises a resolvable private address and a plain name", async () => {
    const { source } = emulatedRadio(LOCKED_DOWN);
    const check = advertisingPrivacyCheck(source);
    const outcome = await check.run(contextFor(LOCKED_DOWN, check.id));
    expect(outcome).toMatchObject({ verdict: "pass", summary: "advertises with a resolvable private address and no owner data in 3 reports" });
  });

  it("fails a static random address: the same until the device is reset", async () => {
    const device = { ...LOCKED_DOWN, address: "c4:3b:2a:19:08:f7" };
    const { source } = emulatedRadio(device);
    const check = advertisingPrivacyCheck(source);
    const outcome = await check.run(contextFor(device, check.id));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.evidence).toMatchObject({ addressKind: "static" });
  });

  it("is inconclusive when the descriptor's address is never heard", async () => {
    const { source } = emulatedRadio(LOCKED_DOWN);
    const check = advertisingPrivacyCheck(source);
    const ctx = makeContext({ device: { ...descriptor(LOCKED_DOWN), ble: { address: "4c:3b:2a:19:08:00" } }, checkId: check.id });
    const outcome = await check.run(ctx);
    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/^4c:3b:2a:19:08:00 was not heard advertising within 12 s/);
  }, 20_000);
});

describe("ble.gatt-unauthenticated", () => {
  it("fails an open lock: its owner's name and e-mail read without pairing, and no write sent without --state-changing", async () => {
    const { source, seen } = emulatedRadio(OPEN_LOCK);
    const check = gattUnauthenticatedCheck(source);
    const ctx = contextFor(OPEN_LOCK, check.id);
    const outcome = await check.run(ctx);

    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.map((f) => [f.severity, f.title])).toEqual([
      ["medium", "(2a00 in service 1800) shows an owner's name without pairing"],
      ["high", "First Name (2a8a in service 181c) can be read without pairing"],
      ["high", "Email Address (2a87 in service 181c) can be read without pairing"],
    ]);
    // Personal values stay out of the report
    expect(JSON.stringify(outcome)).not.toMatch(/alice@example\.com|"Alice"/);
    expect(seen.writes).toEqual([]);
    expect(ctx.ledger.all().map((p) => [p.protocol, p.count])).toEqual([["ble-scan", 1], ["ble", 1]]);
  });

  it("with --state-changing, fails the writes the open lock takes, worst its DFU control point, and leaves unacknowledged writes alone", async () => {
    const { source, seen } = emulatedRadio(OPEN_LOCK);
    const check = gattUnauthenticatedCheck(source);
    const ctx = contextFor(OPEN_LOCK, check.id, { stateChanging: true });
    const outcome = await check.run(ctx);

    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toMatch(/^open without pairing \(worst critical\)/);
    expect(outcome.findings).toEqual(expect.arrayContaining([
      expect.objectContaining({ severity: "critical", title: `Nordic Secure DFU Control Point (${DFU_CONTROL_POINT} in service fe59) takes writes without pairing` }),
      expect.objectContaining({ severity: "high", title: "User Control Point (2a9f in service 181c) takes writes without pairing" }),
      expect.objectContaining({ severity: "medium", title: "(2a8a in service 181c) takes writes without pairing" }),
    ]));
    // The readable one got its own value back; write-only ones an empty value; none without response
    expect(seen.writes.map((w) => [w.uuid, w.data.toString()])).toEqual([["2a8a", "Alice"], ["2a9f", ""], [DFU_CONTROL_POINT, ""]]);
    const nus = (outcome.evidence?.characteristics as { uuid: string; write?: string }[]).find((c) => c.uuid === NUS_RX);
    expect(nus?.write).toMatch(/^not tried: unacknowledged writes/);
    expect(ctx.ledger.all().find((p) => p.protocol === "ble-write")).toMatchObject({ count: 3 });
  });

  it("passes a locked-down lock with --state-changing: every personal value and every write refused until paired", async () => {
    const { source, seen } = emulatedRadio(LOCKED_DOWN);
    const check = gattUnauthenticatedCheck(source);
    const outcome = await check.run(contextFor(LOCKED_DOWN, check.id, { stateChanging: true }));

    expect(outcome.verdict).toBe("pass");
    expect(outcome.summary).toBe("9 characteristics in 5 services: no personal data readable and no write taken without pairing; 4 refused an unpaired central");
    expect(outcome.findings).toBeUndefined();
    expect(seen.writes).toHaveLength(3);
    expect(outcome.evidence?.characteristics).toEqual(expect.arrayContaining([
      { service: "181c", uuid: "2a87", properties: ["read"], read: `refused: ${LOCKED_DOWN.address}: read of 2a87: ${INSUFFICIENT_AUTHENTICATION}` },
    ]));
  });

  it("is inconclusive on the locked-down lock without --state-changing: its writable characteristics were not tried", async () => {
    const { source, seen } = emulatedRadio(LOCKED_DOWN);
    const check = gattUnauthenticatedCheck(source);
    const outcome = await check.run(contextFor(LOCKED_DOWN, check.id));
    expect(outcome).toMatchObject({ verdict: "inconclusive", summary: "nothing readable without pairing, but 3 writable characteristics were not written (writes need --state-changing)" });
    expect(seen.writes).toEqual([]);
  });

  it("is inconclusive, not crashing, when the peripheral disconnects in the middle of discovery", async () => {
    const device: EmulatedPeripheral = { ...LOCKED_DOWN, disconnectDuringDiscoveryOf: "181c" };
    const { source, seen } = emulatedRadio(device);
    const check = gattUnauthenticatedCheck(source);
    const outcome = await check.run(contextFor(device, check.id, { stateChanging: true }));

    expect(outcome.verdict).toBe("inconclusive");
    expect(outcome.summary).toMatch(/^discovery stopped after 2 services: 4c:3b:2a:19:08:f7: characteristic discovery in service 181c: the peripheral disconnected \(reason 19\)$/);
    expect(outcome.evidence).toMatchObject({ services: 2, discoveryStopped: expect.stringContaining("disconnected") });
    // Nothing is asked of a peripheral that has gone
    expect(seen.reads).toEqual([]);
  });
});

describe("ble.pairing", () => {
  it("fails a lock that accepts Just Works pairing (a stack that reports pairing, like noble's on Windows)", async () => {
    const { source, seen } = emulatedRadio(OPEN_LOCK);
    const check = pairingCheck(source);
    const outcome = await check.run(contextFor(OPEN_LOCK, check.id, { stateChanging: true }));
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([expect.objectContaining({ severity: "high", title: "accepts Just Works (unauthenticated) BLE pairing" })]);
    expect(seen.pairings).toBe(1);
  });

  it("passes a lock that refuses Just Works and wants a PIN or a comparison", async () => {
    const { source } = emulatedRadio(LOCKED_DOWN);
    const check = pairingCheck(source);
    const outcome = await check.run(contextFor(LOCKED_DOWN, check.id, { stateChanging: true }));
    expect(outcome).toMatchObject({ verdict: "pass", evidence: { answer: expect.stringContaining("RejectedByHandler") } });
  });

  it("is inconclusive where the stack does not report pairing (noble on Linux and macOS)", async () => {
    const { pairing: _, ...noPairing } = OPEN_LOCK;
    const { source } = emulatedRadio(noPairing);
    const check = pairingCheck(source);
    const outcome = await check.run(contextFor(noPairing, check.id, { stateChanging: true }));
    expect(outcome).toMatchObject({ verdict: "inconclusive", summary: expect.stringMatching(/does not report pairing/) });
  });

  it("is not applicable to a device that offers no pairing at all", async () => {
    const device: EmulatedPeripheral = { ...LOCKED_DOWN, pairing: { paired: false, error: "device reports it cannot be paired" } };
    const { source } = emulatedRadio(device);
    const check = pairingCheck(source);
    expect(await check.run(contextFor(device, check.id, { stateChanging: true }))).toMatchObject({ verdict: "not-applicable" });
  });
});

describe("BLE transport", () => {
  it("refuses an address other than the descriptor's before the radio is touched", async () => {
    const { source } = emulatedRadio(OPEN_LOCK);
    const ctx = contextFor(OPEN_LOCK, "test.check");
    await expect(findPeripheral(ctx, await source(), "11:22:33:44:55:66", { timeoutMs: 1000, settleMs: 0 }))
      .rejects.toMatchObject({ kind: "out-of-scope" });
    expect(ctx.ledger.all()).toEqual([]);
  });

  it("stops scanning when the run is aborted", async () => {
    const { source } = emulatedRadio(LOCKED_DOWN);
    const ctx = makeContext({ device: { ...descriptor(LOCKED_DOWN), ble: { address: "4c:3b:2a:19:08:00" } } });
    setTimeout(() => ctx.abort(new Error("interrupted")), 200);
    await expect(findPeripheral(ctx, await source(), "4c:3b:2a:19:08:00", { timeoutMs: 10_000, settleMs: 0 }))
      .rejects.toMatchObject({ kind: "aborted" });
  });
});
