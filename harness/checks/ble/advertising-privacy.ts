// ble.advertising-privacy: can anyone in radio range track the device or learn about its owner
// from its advertisements — a fixed address instead of a resolvable private one, an owner's name,
// e-mail address or serial number in what it broadcasts (EN 303 645 provision 5.8-1)?
import type { Peripheral } from "@stoprocent/noble";
import type { Check, FindingInput, Outcome } from "../../core/types.js";
import { systemRadio, type RadioSource } from "../../transports/ble.js";
import { escapeBytes } from "../../transports/tcp.js";
import { ownerDataIn, textOf } from "./gatt-knowledge.js";
import { withPeripheral } from "./radio-session.js";

/** Time after the first report for the scan response that carries the rest of the advertisement. */
const SETTLE_MS = 2000;
/** Advertising payloads are at most 31 bytes (254 extended); evidence keeps this much of each, escaped. */
const PAYLOAD_BYTES = 64;

/**
 * What kind of address a peripheral advertises with (Core spec Vol 6 Part B 1.3): a public one,
 * or a random one whose two top bits say static (11), resolvable private (01) or
 * non-resolvable private (00).
 */
type AddressKind = "public" | "static" | "resolvable-private" | "non-resolvable-private" | "reserved";

function addressKind(address: string, type: string): AddressKind {
  if (type === "public") return "public";
  const top = parseInt(address.slice(0, 2), 16) >> 6;
  return (["non-resolvable-private", "resolvable-private", "reserved", "static"] as const)[top] ?? "reserved";
}

const TRACKABLE: Partial<Record<AddressKind, string>> = {
  public: "its public address, the same for its whole life",
  static: "a static random address, the same until it is reset",
};

function advertised(p: Peripheral): { name: string; payloads: { where: string; data: Buffer }[] } {
  const ad = p.advertisement;
  const payloads = [
    ...(ad.manufacturerData ? [{ where: "manufacturer data", data: ad.manufacturerData }] : []),
    ...(ad.serviceData ?? []).map((s) => ({ where: `service data ${s.uuid}`, data: s.data })),
  ];
  return { name: ad.localName ?? "", payloads };
}

function judge(p: Peripheral, reports: number): Outcome {
  const kind = addressKind(p.address, p.addressType);
  const { name, payloads } = advertised(p);
  const target = { transport: "ble" as const, address: p.address };
  const evidence = {
    address: p.address, addressType: p.addressType, addressKind: kind, reports, connectable: p.connectable,
    localName: escapeBytes(Buffer.from(name, "utf8"), PAYLOAD_BYTES),
    serviceUuids: (p.advertisement.serviceUuids ?? []).slice(0, 32),
    payloads: payloads.map((x) => ({ where: x.where, bytes: escapeBytes(x.data, PAYLOAD_BYTES) })),
  };
  const findings: FindingInput[] = [];
  const trackable = TRACKABLE[kind];
  if (trackable) {
    findings.push({ severity: "medium", title: `advertises with ${trackable}: anyone in range can follow it`, target, evidence: { addressKind: kind } });
  }
  for (const source of [{ where: "name", text: name }, ...payloads.map((x) => ({ where: x.where, text: textOf(x.data) }))]) {
    for (const leak of ownerDataIn(source.text)) {
      findings.push({ severity: "medium", title: `its advertised ${source.where} shows ${leak.title}`, target, evidence: { where: source.where, pattern: leak.id } });
    }
  }
  if (findings.length) {
    return { verdict: "fail", summary: findings.map((f) => f.title).join("; "), findings, evidence };
  }
  const how = kind === "reserved" ? "an address of a reserved type" : `a ${kind.replace(/-/g, " ")} address`;
  return { verdict: "pass", summary: `advertises with ${how} and no owner data in ${reports} reports`, evidence };
}

/** The check over a given radio; `advertisingPrivacy` uses the system's adapter. */
export function advertisingPrivacyCheck(radio: RadioSource): Check {
  return {
    id: "ble.advertising-privacy",
    title: "BLE advertisements neither track the device nor reveal its owner",
    description:
      "Scans for the descriptor's BLE address and reads its advertisements (with the scan response). Fails when it " +
      "advertises with its public or a static random address instead of a resolvable private one, so that anyone " +
      "in range can follow it, or when its name or advertising payloads show owner data — a name, an e-mail address, " +
      "a phone or serial number (patterns in harness/data/ble-personal-data.yaml). Inconclusive when it is not heard.",
    effect: "observe",
    needs: ["ble"],

    plan(device) {
      const address = device.ble?.address;
      return address ? [{ address, port: "-", protocol: "ble-scan", count: 1, note: "listens to advertisements" }] : [];
    },

    run: (ctx) => withPeripheral(ctx, radio, { settleMs: SETTLE_MS, connect: false }, async ({ peripheral, reports }) => judge(peripheral, reports)),
  };
}

export const advertisingPrivacy = advertisingPrivacyCheck(systemRadio);
