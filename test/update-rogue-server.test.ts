// update.rogue-server against simulated devices on loopback that update themselves from the
// harness's rogue update host: one that takes a tampered image (no signature check), one that takes
// a rollback (signature checked, version not), one that refuses both; the version read back over
// HTTP and, for one, from a retained MQTT message on an in-process aedes broker. Releases are signed
// with an Ed25519 key made by openssl.
import { createPublicKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { rogueServer, tamper } from "../harness/checks/update/rogue-server.js";
import { Pace } from "../harness/core/pace.js";
import type { Descriptor, UpdateLab, VersionReadback } from "../harness/schema/types.js";
import { makeContext } from "./helpers/context.js";
import { needs, ptyConsolesMissing, scriptConsole } from "./helpers/pty-console.js";
import { startUpdatingDevice, type UpdatePolicy, type UpdatingDevice } from "./helpers/update-device.js";
import { readVersion, versionIn } from "../harness/update/version-readback.js";
import { openssl, TestPki } from "./fixtures/mud/pki.js";

const pki = new TestPki();
const file = (name: string) => pki.path(name);
openssl(["genpkey", "-algorithm", "ed25519", "-out", file("vendor.key")]);
openssl(["pkey", "-in", file("vendor.key"), "-pubout", "-out", file("vendor.pub")]);
const vendorKey = createPublicKey(readFileSync(file("vendor.pub")));

/** A release as the vendor publishes it: image, detached Ed25519 signature (openssl), manifest. */
function release(version: string): UpdateLab["current"] {
  writeFileSync(file(`fw-${version}.bin`), Buffer.concat([Buffer.from(`ACME P1 firmware ${version}\n`), Buffer.alloc(64 * 1024, version.length)]));
  openssl(["pkeyutl", "-sign", "-rawin", "-inkey", file("vendor.key"), "-in", file(`fw-${version}.bin`), "-out", file(`fw-${version}.bin.sig`)]);
  writeFileSync(file(`manifest-${version}.json`), JSON.stringify({ version }));
  return { version, image: file(`fw-${version}.bin`), signature: file(`fw-${version}.bin.sig`), manifest: file(`manifest-${version}.json`) };
}
const current = release("1.0.4");
const older = release("1.0.1");

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});
afterAll(() => pki.dispose());

async function setUp(policy: UpdatePolicy, opts: { mqtt?: boolean; pointed?: boolean } = {}) {
  const port = await freePort();
  let broker: string | undefined;
  if (opts.mqtt) {
    const aedes = await Aedes.createBroker();
    const server: Server = createServer((socket) => aedes.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    broker = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
    stops.push(async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
  }
  // The lab resolves the device's update host to the harness: here the device is simply given it.
  // A device not pointed here polls a port where nothing listens.
  const updateBase = `http://127.0.0.1:${opts.pointed === false ? await freePort() : port}`;
  const device: UpdatingDevice = await startUpdatingDevice({ updateBase, vendorKey, running: "1.0.2", policy, ...(broker ? { mqtt: { url: broker, topic: "acme/p1/firmware" } } : {}) });
  stops.push(() => device.stop());
  const versionReadback: VersionReadback = broker ? { mqtt: { topic: "acme/p1/firmware" } } : { http: { url: device.versionUrl, pattern: '"version":"([^"]+)"' } };
  const descriptor: Descriptor = {
    id: "p1", vendor: "Acme", model: "P1", firmware: "1.0.2",
    network: { address: "127.0.0.1" },
    ...(broker ? { mqtt: { url: broker } } : {}),
    declared: {
      update: {
        manifestUrl: "https://updates.acme.example/manifest.json",
        firmwareUrl: "https://updates.acme.example/fw.bin",
        signatureUrl: "https://updates.acme.example/fw.bin.sig",
        versionReadback,
      },
    },
    updateLab: { listen: { address: "127.0.0.1", port }, current, older, waitSeconds: 2 },
  };
  return { device, descriptor };
}

const run = (descriptor: Descriptor, stateChanging = true) =>
  rogueServer.run(makeContext({ device: descriptor, options: { stateChanging }, pace: Pace.named("fast", { connectTimeoutMs: 2000 }) }));
const titles = (o: { findings?: { severity: string; title: string }[] }) => (o.findings ?? []).map((f) => `${f.severity}: ${f.title}`);

describe("update.rogue-server", () => {
  it("fails a device that installs a tampered image (and it refuses the rollback)", async () => {
    const { device, descriptor } = await setUp({ verifiesSignature: false, refusesOlder: true });
    const outcome = await run(descriptor);
    expect(outcome.verdict).toBe("fail");
    expect(titles(outcome)).toEqual(["critical: the device installed an update whose image was altered after signing (now reports 1.0.4)"]);
    expect(device.log).toContain("installed 1.0.4");
    expect(device.log).toContain("refused 1.0.1: older than 1.0.4");
  });

  it("fails a device that checks signatures but rolls back to an older signed release", async () => {
    const { device, descriptor } = await setUp({ verifiesSignature: true, refusesOlder: false });
    const outcome = await run(descriptor);
    expect(titles(outcome)).toEqual(["critical: the device rolled back to an older signed release (now reports 1.0.1)"]);
    expect(device.log).toContain("refused 1.0.4: bad signature");
    expect(device.version).toBe("1.0.1");
  });

  it("passes a device that refuses both, read back from a retained MQTT message", async () => {
    const { device, descriptor } = await setUp({ verifiesSignature: true, refusesOlder: true }, { mqtt: true });
    const outcome = await run(descriptor);
    expect(outcome).toMatchObject({ verdict: "pass", summary: "the device looked at and refused the tampered and the rolled-back release (still 1.0.2)" });
    expect(device.version).toBe("1.0.2");
    expect(device.log).toEqual(expect.arrayContaining(["refused 1.0.4: bad signature", "refused 1.0.1: older than 1.0.2"]));
    // The tampered image was fetched and refused; the rollback was refused from the manifest alone
    expect((outcome.evidence?.phases as { phase: string; imageFetched: boolean }[]).map((p) => [p.phase, p.imageFetched])).toEqual([["tampered", true], ["rollback", false]]);
  });

  it("fails a device that takes anything, with both findings", async () => {
    const { descriptor } = await setUp({ verifiesSignature: false, refusesOlder: false });
    expect(titles(await run(descriptor))).toEqual([
      "critical: the device installed an update whose image was altered after signing (now reports 1.0.4)",
      "critical: the device rolled back to an older signed release (now reports 1.0.1)",
    ]);
  });

  it("is inconclusive when the device never asks the harness, and does not run without --state-changing", async () => {
    const { descriptor } = await setUp({ verifiesSignature: false, refusesOlder: false }, { pointed: false });
    expect((await run(descriptor)).summary).toMatch(/^the device never fetched the tampered or the rollback offer within 2 s/);
    const { device, descriptor: other } = await setUp({ verifiesSignature: false, refusesOlder: false });
    expect((await run(other, false)).verdict).toBe("inconclusive");
    expect(device.log).toEqual([]);
  });

  it("changes exactly one byte of the image", () => {
    const image = readFileSync(current.image);
    const altered = tamper(image);
    expect(altered.length).toBe(image.length);
    expect([...altered].filter((b, i) => b !== image[i])).toHaveLength(1);
  });
});

describe("version readback", () => {
  it("takes the pattern's first group, or the whole answer trimmed, escaped and bounded", () => {
    expect(versionIn(Buffer.from('{"version":"2.4.17"}'), '"version":"([^"]+)"')).toBe("2.4.17");
    expect(versionIn(Buffer.from("  1.0.2\n"), undefined)).toBe("1.0.2");
    expect(versionIn(Buffer.from("no version here"), "v(\\d+)")).toBeUndefined();
    expect(versionIn(Buffer.from("1.0\x1b[2J"), undefined)).toBe("1.0\\x1b[2J");
  });

  const [title, skip] = needs("reads the version from a shell on the serial console", ptyConsolesMissing());
  it.skipIf(skip)(title, async () => {
    const pty = await scriptConsole("root-shell.sh");
    stops.push(() => pty.stop());
    const device: Descriptor = { id: "s", vendor: "v", model: "m", firmware: "1", serial: { path: pty.path, baudRate: 115200 } };
    // The shell echoes the command; only its output has digits after "fw-version="
    const got = await readVersion(makeContext({ device }), { serial: { command: "echo fw-version=$((1)).0.2", pattern: "fw-version=(\\d[\\w.]*)" } });
    expect(got).toEqual({ ok: true, version: "1.0.2" });
  });
});
