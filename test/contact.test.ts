// The engine's "was the device reached" rule, on ledgers as the transports fill them.
import { describe, expect, it } from "vitest";
import { notReached } from "../harness/core/contact.js";
import { Evidence, ProbeLedger } from "../harness/core/evidence.js";
import type { Descriptor } from "../harness/schema/types.js";

const device: Descriptor = {
  id: "unit", vendor: "V", model: "M", firmware: "1",
  network: { address: "198.19.254.99" },
  mqtt: { url: "mqtt://broker.example:1883" },
  declared: { vulnerabilityDisclosureUrl: "https://vendor.example/security" },
};

function ledgerWith(fill: (e: (check: string) => Evidence) => void): ProbeLedger {
  const ledger = new ProbeLedger();
  fill((check) => new Evidence(check, ledger));
  return ledger;
}

describe("notReached", () => {
  it("names every endpoint and what was sent when nothing answered", () => {
    const ledger = ledgerWith((e) => {
      e("surface.tcp-ports").probes("198.19.254.99", [22, 80, 81, 82], "tcp");
      e("surface.udp-services").probe("198.19.254.99", 161, "udp");
      e("surface.udp-services").probe("198.19.254.99", 5683, "udp");
      e("mqtt.anonymous").probe("broker.example", 1883, "tcp");
    });
    expect(notReached(device, ledger.all())).toEqual({
      tried: ["198.19.254.99", "broker.example"],
      reason: "the device was not reached: nothing answered at 198.19.254.99 (4 tcp to ports 22,80-82; 2 udp to ports 161,5683), broker.example (1 tcp to port 1883)",
    });
  });

  it("is reached by one answer on any of its endpoints, over any transport", () => {
    const ledger = ledgerWith((e) => {
      e("surface.tcp-ports").probes("198.19.254.99", [22, 80], "tcp");
      e("mqtt.anonymous").probe("broker.example", 1883, "tcp");
      e("mqtt.anonymous").answer("broker.example", "tcp");
    });
    expect(notReached(device, ledger.all())).toBeUndefined();
  });

  it("is not reached because a vendor server answered", () => {
    const ledger = ledgerWith((e) => {
      e("surface.tcp-ports").probe("198.19.254.99", 80, "tcp");
      e("disclosure.security-txt").probe("vendor.example", 443, "tcp");
      e("disclosure.security-txt").answer("vendor.example", "tcp");
    });
    expect(notReached(device, ledger.all())?.tried).toEqual(["198.19.254.99"]);
  });

  it("has nothing to say about a run that sent the device nothing", () => {
    expect(notReached(device, [])).toBeUndefined();
  });

  it("counts a serial console's bytes as an answer, and a BLE advertisement", () => {
    const serial: Descriptor = { id: "s", vendor: "V", model: "M", firmware: "1", serial: { path: "/dev/ttyUSB0", baudRate: 115200 }, ble: { address: "AA:BB:CC:DD:EE:FF" } };
    const silent = ledgerWith((e) => {
      e("serial.console-access").probe("/dev/ttyUSB0", 0, "serial");
      e("ble.pairing").probe("AA:BB:CC:DD:EE:FF", 0, "ble-scan");
    });
    expect(notReached(serial, silent.all())?.reason).toBe("the device was not reached: nothing answered at /dev/ttyUSB0 (1 serial), AA:BB:CC:DD:EE:FF (1 ble-scan)");
    const heard = ledgerWith((e) => {
      e("ble.pairing").probe("aa:bb:cc:dd:ee:ff", 0, "ble-scan");
      e("ble.pairing").answer("aa:bb:cc:dd:ee:ff", "ble-scan");
    });
    expect(notReached(serial, heard.all())).toBeUndefined();
  });
});
