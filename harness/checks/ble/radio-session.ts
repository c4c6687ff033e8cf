// The part every BLE check shares: take the radio, find the descriptor's peripheral, connect if
// asked, and always give the radio back; transport failures become honest inconclusive outcomes.
import type { Noble } from "@stoprocent/noble";
import { TransportError } from "../../core/errors.js";
import type { CheckContext, Outcome } from "../../core/types.js";
import { connectBle, findPeripheral, type BleConnection, type RadioSource, type Sighting } from "../../transports/ble.js";

/** Advertising intervals go up to 10.24 s (Core spec Vol 6 Part B 4.4.2.2). */
const SCAN_TIMEOUT_MS = 12_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** One GATT request and its answer; real devices answer within a connection interval or few. */
export const GATT_TIMEOUT_MS = 5000;

/** Failures that say nothing about the device end the check instead of making it inconclusive. */
const endsTheCheck = (err: unknown) => !(err instanceof TransportError) || err.kind === "aborted" || err.kind === "out-of-scope";

/** noble's bindings fail to stop when they never started (no adapter, or refused before the scan). */
function stopQuietly(radio: Noble): void {
  try {
    radio.stop();
  } catch {
    // nothing was running
  }
}

const notHeard = (address: string): Outcome => ({
  verdict: "inconclusive",
  summary: `${address} was not heard advertising within ${SCAN_TIMEOUT_MS / 1000} s: is it on and advertising? (A device that uses resolvable private addresses no longer advertises the address the descriptor names.)`,
});

/**
 * Find the descriptor's peripheral and hand it to `use`, with a connection when `connect` is
 * set. Not heard, adapter missing, connection refused: inconclusive with the reason.
 */
export async function withPeripheral(
  ctx: CheckContext,
  source: RadioSource,
  options: { settleMs: number; connect: boolean },
  use: (sighting: Sighting, connection: BleConnection | undefined) => Promise<Outcome>,
): Promise<Outcome> {
  const address = ctx.device.ble?.address;
  if (!address) return { verdict: "not-applicable", summary: "the device has no BLE radio" };
  const radio = await source();
  try {
    ctx.progress(`scanning for ${address}`);
    const sighting = await findPeripheral(ctx, radio, address, { timeoutMs: SCAN_TIMEOUT_MS, settleMs: options.settleMs });
    if (!sighting) return notHeard(address);
    if (!options.connect) return await use(sighting, undefined);
    ctx.progress(`connecting to ${address}`);
    const connection = await connectBle(ctx, sighting.peripheral, CONNECT_TIMEOUT_MS);
    try {
      return await use(sighting, connection);
    } finally {
      await connection.close();
    }
  } catch (err) {
    if (endsTheCheck(err)) throw err;
    return { verdict: "inconclusive", summary: (err as TransportError).message };
  } finally {
    stopQuietly(radio);
  }
}
