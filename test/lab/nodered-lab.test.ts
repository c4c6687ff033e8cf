// The lab's two Node-RED 4 gateways certified with ETSI EN 303 645 through `iotcert run`: Node-RED
// with its default settings (198.18.0.30) fails 5.1-1, 5.5-4 and 5.5-5 on its open Admin API, a
// critical finding, and its version is disclosed; with adminAuth (198.18.0.31) there is no such
// finding and nothing it serves fails 5.1-1. Then the plug's telnet banner (its kernel line) and
// its broker's $SYS/broker/version, asked on those two ports only. Needs the lab; skips with the
// reason elsewhere, never under CI=true.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../../harness/cli/main.js";
import { anonymousAccess } from "../../harness/checks/mqtt/anonymous-access.js";
import { services } from "../../harness/checks/surface/services.js";
import { tcpPorts } from "../../harness/checks/surface/tcp-ports.js";
import { versionDisclosure } from "../../harness/checks/surface/version-disclosure.js";
import { Pace } from "../../harness/core/pace.js";
import type { Report } from "../../harness/core/report.js";
import { loadDescriptor } from "../../harness/schema/load.js";
import { capture } from "../helpers/capture.js";
import { makeContext } from "../helpers/context.js";
import { LAB, labUp, requireLab } from "./lab.js";

const lab = requireLab();
const RUN_TIMEOUT_MS = 240_000;
const tmp = mkdtempSync(join(tmpdir(), "iotcert-nodered-lab-"));

async function certify(name: "nodered" | "nrauth"): Promise<Report> {
  const out = join(tmp, name);
  const err = capture();
  const code = await main(["run", LAB[name].descriptor, "--profile", "etsi-en-303-645", "--pace", "fast", "--out", out], { out: capture(), err });
  expect(err.text()).toBe("");
  expect(code).not.toBe(2);
  const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report;
  expect(report.complete).toBe(true);
  return report;
}

const provision = (r: Report, id: string) => r.provisions.find((p) => p.id === id)!;
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;
const ADMIN = "credentials.unauthenticated-admin";

describe.skipIf(lab.skip)(`Node-RED gateways in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  let open: Report;
  let secured: Report;
  beforeAll(async () => {
    await labUp();
    [open, secured] = await Promise.all([certify("nodered"), certify("nrauth")]);
  }, 2 * RUN_TIMEOUT_MS);

  it("Node-RED with its default settings: 5.1-1 fails on the unauthenticated Admin API (critical), as do 5.5-4 and 5.5-5", () => {
    expect(open.surface.tcp.map((p) => [p.port, p.service])).toEqual([[1880, "http"]]);
    const finding = open.findings.find((f) => f.check === ADMIN)!;
    expect(finding.severity).toBe("critical");
    expect(finding.title).toContain("Node-RED's Admin HTTP API needs no login");
    expect(finding.target).toMatchObject({ address: LAB.nodered.address, port: 1880 });
    expect(finding.evidence).toMatchObject({ capability: "deploy-code", paths: ["/auth/login", "/flows"] });
    expect(check(open, ADMIN).verdict).toBe("fail");
    for (const id of ["5.1-1", "5.5-4", "5.5-5"]) {
      expect(provision(open, id).verdict).toBe("fail");
      expect(provision(open, id).reason).toContain(ADMIN);
    }
    expect(open.label.level).toBe("none");
  });

  it("Node-RED with its default settings tells anonymous clients its version, and version disclosure flags it", () => {
    const product = open.surface.tcp.find((p) => p.port === 1880)!.product;
    expect(product).toMatch(/^Node-RED 4\.1\.\d+/);
    const disclosed = open.findings.find((f) => f.check === "surface.version-disclosure" && f.target?.port === 1880)!;
    expect(disclosed.evidence).toEqual({ product });
    expect(provision(open, "5.6-2").verdict).toBe("fail");
  });

  it("Node-RED with adminAuth: no unauthenticated-admin finding, and 5.1-1 does not fail on it", () => {
    expect(secured.surface.tcp.map((p) => [p.port, p.service, p.product])).toEqual([[1880, "http", "Node-RED"]]);
    expect(secured.findings.filter((f) => f.check === ADMIN)).toEqual([]);
    expect(check(secured, ADMIN).verdict).toBe("pass");
    expect(provision(secured, "5.1-1").verdict).not.toBe("fail");
    expect(provision(secured, "5.1-1").reason).not.toContain(ADMIN);
    expect(provision(secured, "5.5-5").verdict).not.toBe("fail");
    // The version stays behind the login: nothing on 1880 discloses it
    expect(secured.findings.filter((f) => f.check === "surface.version-disclosure")).toEqual([]);
  });
});

describe.skipIf(lab.skip)(`versions the plug shows before any login${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  it("its telnet banner names the kernel, and its anonymous broker tells its version on $SYS/broker/version", async () => {
    await labUp();
    const plug = await loadDescriptor(LAB.vuln.descriptor);
    const device = { ...plug, network: { ...plug.network!, tcpPorts: [23, 1883] } };
    const ctx = makeContext({ device, pace: Pace.named("fast") });
    await tcpPorts.run(ctx);
    await services.run(ctx);
    expect((await anonymousAccess.run(ctx)).verdict).toBe("fail");
    const brokers = ctx.facts.get("mqtt.broker-versions")!;
    expect(brokers).toEqual([{ host: LAB.vuln.address, port: 1883, tls: false, topic: "$SYS/broker/version", version: expect.stringMatching(/^mosquitto version \d+\.\d+\.\d+/) }]);
    const out = await versionDisclosure.run(ctx);
    expect(out.verdict).toBe("fail");
    const kernel = out.findings!.find((f) => f.title === "telnet on port 23/tcp names the Linux kernel version before login")!;
    expect(kernel.evidence).toMatchObject({ component: "Linux kernel", version: "3.10.14" });
    const broker = out.findings!.find((f) => f.target?.port === 1883)!;
    expect(broker.title).toBe("the MQTT broker on port 1883/tcp tells anonymous clients its version ($SYS/broker/version)");
    expect(broker.evidence).toMatchObject({ product: brokers[0]!.version });
  }, 60_000);
});
