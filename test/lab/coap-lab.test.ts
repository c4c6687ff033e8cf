// The CoAP checks against real libcoap servers: the lab plug's coap-server (198.18.0.10, no DTLS)
// and libcoap's coap-server-openssl started here on loopback with a pre-shared key, DTLS on
// port + 1. Amplification is checked against a counting relay in front of the lab's server.
// Needs the lab (root and its Debian packages); skips with the reason elsewhere, never under CI=true.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { amplification, printedFactor } from "../../harness/checks/coap/amplification.js";
import { discovery } from "../../harness/checks/coap/discovery.js";
import { dtls } from "../../harness/checks/coap/dtls.js";
import { unauthenticatedAccess } from "../../harness/checks/coap/unauthenticated-access.js";
import { Pace } from "../../harness/core/pace.js";
import type { Descriptor } from "../../harness/schema/types.js";
import { makeContext } from "../helpers/context.js";
import { countingRelay } from "../helpers/udp-relay.js";
import { LAB, labUp, requireLab } from "./lab.js";

const lab = requireLab();
const plug = parse(readFileSync(new URL("devices/vuln.yaml", import.meta.url), "utf8")) as Descriptor;
const PLUG_RESOURCES = ["/", "/time", "/async", "/example_data"];

describe.skipIf(lab.skip)(`CoAP checks in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  beforeAll(async () => {
    await labUp();
  });

  it("coap.discovery lists the plug's libcoap resources", async () => {
    const ctx = makeContext({ device: plug, pace: Pace.named("normal") });
    const out = await discovery.run(ctx);
    expect(out.verdict).toBe("pass");
    expect(ctx.facts.get("coap.resources")!.resources.map((r) => r.target)).toEqual(PLUG_RESOURCES);
    expect(ctx.facts.get("coap.resources")!.resources.find((r) => r.target === "/time")!.params).toMatchObject({ rt: "ticks", if: "clock", obs: true });
  });

  it("coap.unauthenticated-access fails: /time and /example_data answer anyone", async () => {
    const ctx = makeContext({ device: plug, pace: Pace.named("normal") });
    await discovery.run(ctx);
    const out = await unauthenticatedAccess.run(ctx);
    expect(out.verdict).toBe("fail");
    const read = out.findings!.map((f) => f.evidence!.resource);
    expect(read).toEqual(expect.arrayContaining(["/time", "/example_data"]));
    expect(out.summary).toContain("PUT, POST and DELETE not tested");
  });

  it("coap.amplification prints the factor the bytes through a relay to the plug give", async () => {
    const relay = await countingRelay(LAB.vuln.address, 5683);
    try {
      const viaRelay: Descriptor = { id: "relay", vendor: "V", model: "M", firmware: "1", network: { address: "127.0.0.1" }, coap: { url: `coap://127.0.0.1:${relay.port}` } };
      const ctx = makeContext({ device: viaRelay, pace: Pace.named("normal") });
      await discovery.run(ctx);
      const sent = relay.toServer.length;
      const out = await amplification.run(ctx);
      const ms = (out.evidence as { measurements: { request: string; requestBytes: number; responseBytes: number; blocks: number }[] }).measurements;
      // The measurement of discovery is the first request after the discovery check's own
      expect(ms[0]!.request).toBe("GET /.well-known/core");
      const wire = { requestBytes: relay.toServer[sent]!, responseBytes: relay.toClient[sent]! };
      expect({ requestBytes: ms[0]!.requestBytes, responseBytes: ms[0]!.responseBytes }).toEqual(wire);
      expect(out.summary).toContain(`GET /.well-known/core: ${wire.requestBytes} → ${wire.responseBytes} bytes (${printedFactor(wire)}x)`);
      // /example_data is the largest, and comes in blocks
      expect(ms[1]!.request).toBe("GET /example_data");
      expect(ms[1]!.blocks).toBeGreaterThan(1);
      expect(out.verdict).toBe("fail");
    } finally {
      relay.close();
    }
  });

  it("coap.dtls fails on the plug: plain CoAP answers, no DTLS on 5684", async () => {
    const out = await dtls.run(makeContext({ device: plug, pace: Pace.named("normal") }));
    expect(out.verdict).toBe("fail");
    expect(out.findings![0]).toMatchObject({ severity: "high" });
    expect(out.evidence).toMatchObject({ plain: "answered" });
    expect(out.evidence!.dtls).not.toBe("answered");
  });

  describe("against libcoap's DTLS server (coap-server-openssl, PSK)", () => {
    const HOST = "127.0.0.68";
    const servers: ChildProcess[] = [];
    const start = async (port: number) => {
      const child = spawn("coap-server-openssl", ["-A", HOST, "-p", String(port), "-k", "lab-psk-secret", "-v", "0"], { stdio: "ignore" });
      servers.push(child);
      // Listening within a few hundred ms; the ping retries cover a slow start
      await new Promise((r) => setTimeout(r, 500));
    };
    afterAll(() => {
      for (const c of servers) c.kill();
    });

    it("passes when only DTLS answers (coaps:// URL, nothing on 5683)", async () => {
      await start(6000);
      const device: Descriptor = { id: "d", vendor: "V", model: "M", firmware: "1", network: { address: HOST }, coap: { url: `coaps://${HOST}:6001` } };
      const out = await dtls.run(makeContext({ device, pace: Pace.named("normal") }));
      expect(out.evidence).toMatchObject({ dtlsPort: 6001, dtls: "answered", plainPort: 5683 });
      expect(out.verdict).toBe("pass");
    });

    it("fails, at medium, when plain CoAP stays open beside DTLS", async () => {
      await start(5683);
      const device: Descriptor = { id: "d", vendor: "V", model: "M", firmware: "1", network: { address: HOST } };
      const out = await dtls.run(makeContext({ device, pace: Pace.named("normal") }));
      expect(out.evidence).toMatchObject({ dtlsPort: 5684, dtls: "answered", plain: "answered" });
      expect(out.verdict).toBe("fail");
      expect(out.findings![0]!.severity).toBe("medium");
    });
  });
});
