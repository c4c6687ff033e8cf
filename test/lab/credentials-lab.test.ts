// credentials.default-passwords against the lab's real daemons, with the facts of a real service
// scan (surface.tcp-ports + surface.services first). Needs the lab (root and its Debian packages);
// skips with the reason elsewhere, never under CI=true. Each protocol has its own describe block.
import { beforeAll, describe, expect, it } from "vitest";
import { defaultPasswords } from "../../harness/checks/credentials/default-passwords.js";
import { ftpLoginOf } from "../../harness/checks/credentials/logins/ftp.js";
import { services } from "../../harness/checks/surface/services.js";
import { tcpPorts } from "../../harness/checks/surface/tcp-ports.js";
import { udpServices } from "../../harness/checks/surface/udp-services.js";
import type { Service, UdpService } from "../../harness/core/facts.js";
import { Pace } from "../../harness/core/pace.js";
import type { Outcome, RunOptions } from "../../harness/core/types.js";
import { loadDescriptor } from "../../harness/schema/load.js";
import type { Descriptor } from "../../harness/schema/types.js";
import { makeContext } from "../helpers/context.js";
import { hardPassword, LAB, labUp, requireLab, type LabDeviceName } from "./lab.js";

const lab = requireLab();
const LAB_TIMEOUT_MS = 180_000;

/** The device's descriptor and what the service scan found on it. */
async function scanned(name: LabDeviceName): Promise<{ device: Descriptor; found: Service[] }> {
  await labUp();
  const device = await loadDescriptor(LAB[name].descriptor);
  const ctx = makeContext({ device, pace: Pace.named("fast") });
  await tcpPorts.run(ctx);
  await services.run(ctx);
  return { device, found: ctx.facts.get("tcp.services") ?? [] };
}

/**
 * The credential check on the scanned services named `names` only ("form" for the descriptor's
 * login forms), fast and with a short list.
 */
async function credentialsOn(scan: { device: Descriptor; found: Service[] }, names: string[], attempts: number, options: Partial<RunOptions> = {}): Promise<Outcome> {
  const { loginForms, ...rest } = scan.device;
  const ctx = makeContext({
    device: names.includes("form") && loginForms ? { ...rest, loginForms } : rest, checkId: defaultPasswords.id, options,
    facts: { "tcp.services": scan.found.filter((s) => names.includes(s.name)) },
    pace: Pace.named("fast", { attemptsPerService: attempts }),
  });
  return defaultPasswords.run(ctx);
}

describe.skipIf(lab.skip)(`credentials over SSH and FTP in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  let vuln: { device: Descriptor; found: Service[] };
  let hard: { device: Descriptor; found: Service[] };

  beforeAll(async () => {
    vuln = await scanned("vuln");
    hard = await scanned("hard");
  }, LAB_TIMEOUT_MS);

  // attemptsBeforeSuccess counts the declared admin/admin tried first (it works, but is per-unit)
  it("finds Mirai's root/xc3511 on the plug's dropbear (port 22), after a wrong pair", async () => {
    expect(vuln.found.find((s) => s.port === 22)?.name).toBe("ssh");
    // Mirai's pair sits deep in the built-in order for SSH; the user's list brings it to the front
    const outcome = await credentialsOn(vuln, ["ssh"], 2, {
      extraCredentials: [{ username: "root", password: "wrong-password" }, LAB.plugCredentials.ssh[0]],
    });
    expect(outcome.verdict).toBe("fail");
    const critical = outcome.findings?.filter((f) => f.severity === "critical");
    expect(critical).toEqual([expect.objectContaining({
      title: 'ssh on port 22 accepts a default password for "root"',
      target: { transport: "tcp", port: 22, service: "ssh" },
      evidence: expect.objectContaining({ username: "root", password: "xc3511", attemptsBeforeSuccess: 2 }),
    })]);
    // The declared admin/admin (per unit, says Acme) works too: an info finding, not a failure
    expect(outcome.findings).toContainEqual(expect.objectContaining({ severity: "info", evidence: expect.objectContaining({ username: "admin", port: 22 }) }));
  }, LAB_TIMEOUT_MS);

  it("finds vsftpd's anonymous login on port 21 before any pair", async () => {
    expect(vuln.found.find((s) => s.port === 21)?.name).toBe("ftp");
    const outcome = await credentialsOn(vuln, ["ftp"], 1);
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "critical", title: "ftp on port 21 accepts anonymous logins",
      target: { transport: "tcp", port: 21, service: "ftp" },
      evidence: expect.objectContaining({ source: "anonymous", attemptsBeforeSuccess: 0, transcript: expect.stringContaining("230") }),
    })]);
  }, LAB_TIMEOUT_MS);

  // The check stops at the anonymous login, so the pairs are driven here through the same Login
  it("takes vsftpd's delayed 530 as a wrong password and its 230 for admin/admin as a login", async () => {
    const ctx = makeContext({ device: vuln.device, pace: Pace.named("fast") });
    const login = ftpLoginOf(ctx, LAB.vuln.address, { name: "ftp", kind: "ftp", port: 21, tls: false });
    const started = performance.now();
    expect(await login.attempt({ username: "admin", password: "wrong-password", source: "user", unique: false })).toMatchObject({ verdict: "rejected" });
    expect(performance.now() - started).toBeGreaterThan(LAB.ftpFailedLoginDelayS * 1000 - 500);
    const [admin] = LAB.plugCredentials.ftp.filter((c) => c.username === "admin");
    expect(await login.attempt({ ...admin!, source: "user", unique: false })).toMatchObject({ verdict: "success", transcript: expect.stringContaining("230") });
  }, LAB_TIMEOUT_MS);

  it("finds no SSH password on the hardened thermostat: its dropbear takes public keys only", async () => {
    expect(hard.found.find((s) => s.port === 22)?.name).toBe("ssh");
    const outcome = await credentialsOn(hard, ["ssh"], 5);
    expect(outcome.findings).toEqual([]);
    expect(outcome.verdict).toBe("pass");
    expect(outcome.summary).toContain("public keys only");
  }, LAB_TIMEOUT_MS);
});

// MQTT (mosquitto: anonymous on 1883, TLS + admin/admin on 8883; the thermostat: TLS + a per-unit
// password) and SNMP communities (snmpd: "public" reads, "private" writes the system group).
describe.skipIf(lab.skip)(`credentials over MQTT and SNMP in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  type Scan = { device: Descriptor; found: Service[]; udp: UdpService[] };
  let vuln: Scan;
  let hard: Scan;

  async function scannedWithUdp(name: LabDeviceName): Promise<Scan> {
    const { device, found } = await scanned(name);
    const ctx = makeContext({ device, pace: Pace.named("normal") });
    await udpServices.run(ctx);
    return { device, found, udp: ctx.facts.get("udp.services") ?? [] };
  }

  /** The credential check on the given TCP ports and (when asked) the SNMP agent only. */
  function check(scan: Scan, ports: number[], opts: { snmp?: boolean; attempts: number; device?: Descriptor; options?: Partial<RunOptions> }): Promise<Outcome> {
    // The ports asked for only: not the web forms the descriptor describes
    const { loginForms: _forms, ...device } = opts.device ?? scan.device;
    const ctx = makeContext({
      device, checkId: defaultPasswords.id, options: opts.options ?? {},
      facts: { "tcp.services": scan.found.filter((s) => ports.includes(s.port)), "udp.services": opts.snmp ? scan.udp.filter((s) => s.service === "snmp") : [] },
      pace: Pace.named("fast", { attemptsPerService: opts.attempts }),
    });
    return defaultPasswords.run(ctx);
  }

  beforeAll(async () => {
    vuln = await scannedWithUdp("vuln");
    hard = await scannedWithUdp("hard");
  }, LAB_TIMEOUT_MS);

  it("finds mosquitto on 1883 taking an anonymous CONNECT, before any pair, and leaves the finding to mqtt.anonymous-access", async () => {
    expect(vuln.found.find((s) => s.port === 1883)?.name).toBe("mqtt");
    const outcome = await check(vuln, [1883], { attempts: 1 });
    expect(outcome.verdict).toBe("fail");
    expect(outcome.summary).toBe("anyone logs in without credentials on mqtt on port 1883 (the finding is mqtt.anonymous-access's)");
    expect(outcome.findings).toEqual([]);
    expect(outcome.evidence?.services).toEqual([expect.objectContaining({
      port: 1883, tried: 0, anonymous: true, findingBy: "mqtt.anonymous-access", transcript: expect.stringContaining("CONNACK code 0x00"),
    })]);
  }, LAB_TIMEOUT_MS);

  it("finds admin/admin on the TLS listener 8883 (anonymous refused first)", async () => {
    const mqtts = vuln.found.find((s) => s.port === 8883);
    expect(mqtts?.tls).toBe(true);
    // Acme declares admin/admin per unit: then it is an info finding (unit 2 shares it: another check's work)
    const declared = await check(vuln, [8883], { attempts: 2 });
    expect(declared.findings).toContainEqual(expect.objectContaining({ severity: "info", evidence: expect.objectContaining({ username: "admin", port: 8883 }) }));
    // Without the declaration, the built-in list's first pair is the default that opens it
    const undeclared = await check(vuln, [8883], { attempts: 2, device: { ...vuln.device, declared: { ...vuln.device.declared, credentials: [] } } });
    expect(undeclared.verdict).toBe("fail");
    expect(undeclared.findings).toEqual([expect.objectContaining({
      severity: "critical", title: `${mqtts!.name} on port 8883 accepts a default password for "admin"`,
      evidence: expect.objectContaining({ username: "admin", password: "admin", source: "iot-defaults", attemptsBeforeSuccess: 0 }),
    })]);
  }, LAB_TIMEOUT_MS);

  it("finds snmpd answering \"public\" and \"private\", each reading, write not tested, and rates them high", async () => {
    expect(vuln.udp.find((s) => s.port === 161)?.service).toBe("snmp");
    const outcome = await check(vuln, [], { snmp: true, attempts: 3 });
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual(["public", "private"].map((community) => expect.objectContaining({
      severity: "high", title: "snmp on port 161/udp accepts a default community (read; write not tested)",
      target: { transport: "udp", port: 161, service: "snmp" },
      evidence: expect.objectContaining({ community, source: "snmp-communities", access: "read; write not tested", transcript: expect.stringMatching(/sysDescr.0 = "Acme .*"; write access not tested/) }),
    })));
  }, LAB_TIMEOUT_MS);

  it("with --state-changing, tells \"private\" writing from \"public\" reading (a SET to the current value)", async () => {
    const outcome = await check(vuln, [], { snmp: true, attempts: 3, options: { stateChanging: true } });
    expect(outcome.findings).toEqual([
      expect.objectContaining({ severity: "high", title: "snmp on port 161/udp accepts a default community (read)", evidence: expect.objectContaining({ community: "public", access: "read", transcript: expect.stringContaining("read-only") }) }),
      expect.objectContaining({ severity: "critical", title: "snmp on port 161/udp accepts a default community (read, write)", evidence: expect.objectContaining({ community: "private", access: "read, write", transcript: expect.stringContaining("WRITE access") }) }),
    ]);
  }, LAB_TIMEOUT_MS);

  it("finds no default on the thermostat's MQTT over TLS (8883); its declared per-unit password works", async () => {
    expect(hard.found.find((s) => s.port === 8883)?.tls).toBe(true);
    const outcome = await check(hard, [8883], { attempts: 5 });
    expect(outcome.verdict).toBe("pass");
    expect(outcome.findings).toEqual([expect.objectContaining({ severity: "info", evidence: expect.objectContaining({ username: "admin", port: 8883 }) })]);
    expect(outcome.evidence).toMatchObject({ services: [{ port: 8883, tried: 6, of: 6 }] });
  }, LAB_TIMEOUT_MS);
});

describe.skipIf(lab.skip)(`credentials over HTTP Basic, Digest and a web form in the lab${lab.skip ? ` (skipped: ${lab.reason})` : ""}`, () => {
  let vuln: { device: Descriptor; found: Service[] };
  let hard: { device: Descriptor; found: Service[] };
  const WRONG = { username: "admin", password: "wrong-password" };

  beforeAll(async () => {
    vuln = await scanned("vuln");
    hard = await scanned("hard");
  }, LAB_TIMEOUT_MS);

  /** The plug as if Acme had not declared admin/admin per-unit: then it is a plain default. */
  const undeclared = () => ({ ...vuln, device: { ...vuln.device, declared: { ...vuln.device.declared, credentials: [] } } });

  it("finds the plug's admin/admin behind lighttpd's Basic auth, reached through the /admin redirect", async () => {
    const http = vuln.found.find((s) => s.port === 80)!;
    expect(http.http?.find((p) => p.path === "/admin/")).toMatchObject({ status: 401, authScheme: "basic" });
    const outcome = await credentialsOn(undeclared(), ["http"], 2, { extraCredentials: [WRONG, LAB.plugCredentials.http] });
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "critical", title: 'http on port 80 accepts a default password for "admin"',
      evidence: expect.objectContaining({ password: "admin", attemptsBeforeSuccess: 1 }),
    })]);
  });

  it("answers lighttpd's Digest challenge on /camera/ and finds admin/admin after a wrong pair", async () => {
    const camera: Service = { port: 80, name: "http", tls: false, http: [{ path: "/camera/", status: 401, authScheme: "digest" }] };
    const outcome = await credentialsOn({ ...undeclared(), found: [camera] }, ["http"], 2, { extraCredentials: [WRONG, LAB.plugCredentials.http] });
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings?.[0]?.evidence).toMatchObject({ service: "http", port: 80, username: "admin", password: "admin", attemptsBeforeSuccess: 1 });
    // Both pairs went out at once; lighttpd holds the wrong one's 401 for a second, and the check
    // does not wait for it once admin/admin is in
    const [service] = (outcome.evidence as { services: { tried: number; abandoned?: number }[] }).services;
    expect(service!.tried + (service!.abandoned ?? 0)).toBe(2);
  });

  it("logs in through the plug's web form with admin/admin, judged by the descriptor's success conditions", async () => {
    const outcome = await credentialsOn({ ...undeclared(), found: [] }, ["form"], 2, { extraCredentials: [WRONG, LAB.plugCredentials.http] });
    expect(outcome.verdict).toBe("fail");
    expect(outcome.findings).toEqual([expect.objectContaining({
      severity: "critical", title: 'form /login.cgi on port 80 accepts a default password for "admin"',
      evidence: expect.objectContaining({ password: "admin", attemptsBeforeSuccess: 1, transcript: "answered 302 to /admin/" }),
    })]);
  });

  it("finds no default on the thermostat's HTTPS form; only its declared per-unit password works (info)", async () => {
    const outcome = await credentialsOn({ ...hard, found: [] }, ["form"], 10);
    expect(outcome.verdict).toBe("pass");
    expect(outcome.findings).toEqual([expect.objectContaining({ severity: "info", title: 'form /login.cgi on port 443 accepts the declared per-unit credential for "admin"' })]);
    expect(JSON.stringify(outcome)).not.toContain(hardPassword());
  });
});
