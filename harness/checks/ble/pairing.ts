// ble.pairing: does the device accept Just Works pairing — no PIN, no numeric comparison, so any
// device in range can pair and a man in the middle goes unnoticed — or does it insist on
// authenticated pairing (EN 303 645 provision 5.5-1)? Judged where the BLE stack reports pairing.
import { TransportError } from "../../core/errors.js";
import type { Check, Outcome } from "../../core/types.js";
import { systemRadio, type BleConnection, type RadioSource } from "../../transports/ble.js";
import { withPeripheral } from "./radio-session.js";

/** A Windows pairing dialog for a Just Works request completes at once; give a slow device time. */
const PAIRING_TIMEOUT_MS = 30_000;

/**
 * How stacks say why pairing failed. noble implements pairing on Windows (WinRT) only; the
 * Linux and macOS bindings answer every request with "not supported on this platform". WinRT
 * reports a device that demands a ceremony other than the Just Works one offered as rejected by
 * the handler, as not allowing that authentication, or as a protection level not met.
 */
const UNSUPPORTED = /not supported on this platform/i;
const CANNOT_PAIR = /cannot be paired/i;
const DEMANDS_MORE = /RejectedByHandler|AuthenticationNotAllowed|ProtectionLevelCouldNotBeMet/;

async function tryJustWorks(connection: BleConnection): Promise<Outcome> {
  const target = { transport: "ble" as const, address: connection.address };
  try {
    await connection.pairJustWorks(PAIRING_TIMEOUT_MS);
  } catch (err) {
    if (!(err instanceof TransportError) || err.kind === "aborted") throw err;
    const evidence = { address: connection.address, answer: err.message };
    if (err.kind !== "refused") return { verdict: "inconclusive", summary: `pairing did not complete: ${err.message}`, evidence };
    if (UNSUPPORTED.test(err.message)) {
      return {
        verdict: "inconclusive",
        summary: "this BLE stack does not report pairing (noble pairs only on Windows): judge it there, or with a sniffer",
        evidence,
      };
    }
    if (CANNOT_PAIR.test(err.message)) {
      return { verdict: "not-applicable", summary: "the device offers no pairing at all; what it exposes without pairing is ble.gatt-unauthenticated's to judge", evidence };
    }
    if (DEMANDS_MORE.test(err.message)) {
      return { verdict: "pass", summary: "the device refused Just Works pairing: it asks for a PIN or a numeric comparison", evidence };
    }
    return { verdict: "inconclusive", summary: `pairing failed for a reason that does not say which ceremony the device wants: ${err.message}`, evidence };
  }
  return {
    verdict: "fail",
    summary: "the device accepts Just Works pairing: anyone in range can pair with it, and a man in the middle goes unnoticed",
    findings: [{ severity: "high", title: "accepts Just Works (unauthenticated) BLE pairing", target, evidence: { address: connection.address, ceremony: "Just Works" } }],
    evidence: { address: connection.address, paired: true },
  };
}

/** The check over a given radio; `pairing` uses the system's adapter. */
export function pairingCheck(radio: RadioSource): Check {
  return {
    id: "ble.pairing",
    title: "BLE pairing is authenticated",
    description:
      "Connects to the descriptor's BLE address and asks to pair Just Works (no PIN, no comparison). Fails when the " +
      "device accepts, passes when it insists on an authenticated ceremony. Only stacks that report pairing can tell: " +
      "noble does on Windows; on Linux and macOS the check is inconclusive. State-changing: pairing leaves a bond on " +
      "the device, and devices with one bond slot forget their owner's phone. The lab's adapter must not already be " +
      "bonded with the unit.",
    effect: "state-changing",
    needs: ["ble"],

    plan(device) {
      const address = device.ble?.address;
      return address ? [{ address, port: "-", protocol: "ble-pair", count: 1, note: "Just Works request; leaves a bond" }] : [];
    },

    run: (ctx) => withPeripheral(ctx, radio, { settleMs: 0, connect: true }, async (_, connection) => tryJustWorks(connection!)),
  };
}

export const pairing = pairingCheck(systemRadio);
