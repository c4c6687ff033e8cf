// surface.udp-services against the lab's vulnerable plug (198.18.0.10): libcoap's coap-server on
// 5683 and net-snmp's snmpd on 161, real daemons in the iotc-vuln namespace (test/lab/up.sh).
// Needs the lab (root and its Debian packages); skips with the reason elsewhere, never under CI=true.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { udpServices } from "../../harness/checks/surface/udp-services.js";
import { Pace } from "../../harness/core/pace.js";
import type { Outcome } from "../../harness/core/types.js";
import type { Descriptor } from "../../harness/schema/types.js";
import { makeContext, type TestContext } from "../helpers/context.js";
import { labUp, requireLab } from "./lab.js";

const lab = requireLab();

const device = parse(readFileSync(new URL("devices/vuln.yaml", import.meta.url), "utf8")) as Descriptor;

describe.skipIf(lab.skip)(`surface.udp-services in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  let ctx: TestContext;
  let outcome: Outcome;

  beforeAll(async () => {
    await labUp();
    ctx = makeContext({ device, checkId: "surface.udp-services", pace: Pace.named("normal") });
    outcome = await udpServices.run(ctx);
  });

  it("finds and names libcoap's CoAP server and net-snmp's agent on 198.18.0.10", () => {
    expect(device.network?.address).toBe("198.18.0.10");
    const found = ctx.facts.get("udp.services") ?? [];
    expect(found.find((s) => s.port === 5683)).toMatchObject({ service: "coap" });
    const snmp = found.find((s) => s.port === 161);
    expect(snmp).toMatchObject({ service: "snmp" });
    expect(snmp!.product).toMatch(/\S/); // sysDescr, read with "public"
  });

  it("reports CoAP's /.well-known/core as an amplifier: 25 bytes in, the link list out", () => {
    const coap = outcome.findings?.find((f) => f.target?.port === 5683 && f.evidence?.factor);
    expect(coap).toBeDefined();
    expect(coap!.evidence!.requestBytes).toBe(25);
    expect(coap!.evidence!.factor as number).toBeGreaterThan(2);
    expect(outcome.verdict).toBe("fail");
  });
});
