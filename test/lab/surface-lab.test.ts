// The surface checks against the lab's real daemons: the full TCP scan, every service named,
// TLS judged. Needs the lab (root and its Debian packages); skips with the reason elsewhere, never under CI=true.
import { describe, expect, it } from "vitest";
import { services } from "../../harness/checks/surface/services.js";
import { tcpPorts } from "../../harness/checks/surface/tcp-ports.js";
import { tls } from "../../harness/checks/crypto/tls.js";
import { Pace } from "../../harness/core/pace.js";
import { loadDescriptor } from "../../harness/schema/load.js";
import { makeContext } from "../helpers/context.js";
import { LAB, labUp, requireLab, type LabDeviceName } from "./lab.js";

const lab = requireLab();

async function surfaceOf(name: LabDeviceName) {
  await labUp();
  const ctx = makeContext({ device: await loadDescriptor(LAB[name].descriptor), pace: Pace.named("fast") });
  const scan = await tcpPorts.run(ctx);
  await services.run(ctx);
  const crypto = await tls.run(ctx);
  const named = Object.fromEntries((ctx.facts.get("tcp.services") ?? []).map((s) => [s.port, s.name]));
  return { ctx, scan, crypto, named };
}

describe.skipIf(lab.skip)(`surface checks in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  it("finds exactly the vulnerable plug's open TCP ports, and names every service", async () => {
    const { ctx, scan, named } = await surfaceOf("vuln");
    expect(scan.verdict).toBe("pass");
    expect(ctx.facts.get("tcp.open")!.map((p) => p.port)).toEqual([...LAB.vuln.tcp]);
    expect(named).toEqual({
      21: "ftp", 22: "ssh", 23: "telnet", 80: "http", 443: "https", 1883: "mqtt", 5683: "coap+tcp", 8883: "mqtts",
    });
    const products = Object.fromEntries(ctx.facts.get("tcp.services")!.map((s) => [s.port, s.product]));
    expect(products[22]).toMatch(/^dropbear_\d/);
    expect(products[80]).toMatch(/^lighttpd\/\d/);
  });

  it("judges the plug's TLS: TLS 1.0 accepted is a finding, certificates are published", async () => {
    const { ctx, crypto } = await surfaceOf("vuln");
    expect(crypto.verdict).toBe("fail");
    expect(crypto.findings?.map((f) => f.title)).toEqual(expect.arrayContaining([expect.stringMatching(/TLS 1\.0 accepted/)]));
    expect(ctx.facts.get("tls.certificates")!.map((c) => c.port).sort()).toEqual([443, 8883]);
  });

  it("finds only the hardened thermostat's three services, and its TLS passes", async () => {
    const { ctx, crypto, named } = await surfaceOf("hard");
    expect(ctx.facts.get("tcp.open")!.map((p) => p.port)).toEqual([...LAB.hard.tcp]);
    expect(named).toEqual({ 22: "ssh", 443: "https", 8883: "mqtts" });
    expect(crypto.verdict).toBe("pass");
  });

  it("finds the same open set on the Wi-Fi plug, through delay and loss", async () => {
    const { ctx, scan } = await surfaceOf("wifi");
    expect(scan.verdict).toBe("pass");
    expect(ctx.facts.get("tcp.open")!.map((p) => p.port)).toEqual([...LAB.wifi.tcp]);
  }, 300_000);
});
