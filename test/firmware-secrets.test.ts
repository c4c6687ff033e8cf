// update.firmware-secrets on firmware images built here: a squashfs behind a flash header with a
// planted PEM key, a DER key in a zip, default-password hashes (sha512crypt, md5crypt, bcrypt, DES in a
// nested tar.gz), an AWS key and an old BusyBox; a clean image; a zip bomb, a gzip bomb, deep
// nesting, a duplicated archive and a symlink loop; and a 64 MiB image in a separate process to
// bound the memory.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync as readBuffer, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { firmwareSecrets } from "../harness/checks/update/firmware-secrets.js";
import { loadData } from "../harness/core/data.js";
import { DEFAULT_UNPACK_LIMITS, unpackImage } from "../harness/firmware/unpack.js";
import { compareVersions } from "../harness/firmware/versions.js";
import { makeContext } from "./helpers/context.js";
import { FirmwareWorkshop } from "./helpers/firmware-images.js";

const shop = new FirmwareWorkshop();
afterAll(() => shop.dispose());

const check = (image: string) => firmwareSecrets.run(makeContext({ device: { id: "d", vendor: "v", model: "m", firmware: "1", declared: { update: { firmwareImage: image } } } }));
const MiB = 1024 * 1024;

describe("update.firmware-secrets", () => {
  it("finds the planted keys, cracks the default hashes, and flags the token and the old BusyBox", async () => {
    const tls = shop.key("tls", "ec");
    const client = shop.key("client", "ed25519");
    const nested = shop.tree("backup", { "etc/passwd": `support:${shop.hash("des", "support")}:0:0:support:/:/bin/sh\n` });
    const backup = shop.tarGz(nested, "backup.tar.gz");
    const certs = await shop.zip({ "certs/client.der": client.der, "README": Buffer.from("client certificate for the cloud\n") }, "certs.zip");
    const root = shop.tree("rootfs-bad", {
      "etc/shadow": [
        `root:${shop.hash("sha512", "xc3511")}:19000:0:99999:7:::`,
        `admin:${shop.hash("md5", "admin")}:19000:0:99999:7:::`,
        "daemon:*:19000:0:99999:7:::",
        `owner:${shop.hash("sha256", "a long and unguessable passphrase")}:19000:0:99999:7:::`,
        `ubnt:${shop.hash("bcrypt", "ubnt")}:19000:0:99999:7:::`,
        `backup:${shop.hash("bcrypt", "a long and unguessable passphrase")}:19000:0:99999:7:::`,
        `vault:${shop.hash("bcrypt", "vault", 13)}:19000:0:99999:7:::`,
        "",
      ].join("\n"),
      "etc/ssl/private/device.key": tls.pem,
      "etc/cloud.conf": "endpoint=iot.acme.example\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\n",
      "bin/busybox": Buffer.concat([randomBytes(4096), Buffer.from("\0BusyBox v1.19.4 (2012-08-14 17:12:34 CST) multi-call binary\0"), randomBytes(4096)]),
      "opt/backup.tar.gz": readBuffer(backup),
      "opt/certs.zip": readBuffer(certs),
    });
    shop.link(root, "etc/loop", "..");
    const image = shop.flashImage(shop.squashfs(root, "rootfs-bad.sqfs"), "bad.bin");

    const outcome = await check(image);
    expect(outcome.verdict).toBe("fail");
    const titles = outcome.findings!.filter((f) => f.severity !== "info").map((f) => `${f.severity}: ${f.title}`).sort();
    expect(titles).toEqual([
      "critical: a private key (ec prime256v1, PEM) in bad.bin@0x10000/root/etc/ssl/private/device.key",
      "critical: a private key (ed25519, DER) in bad.bin@0x10000/root/opt/certs.zip/certs/client.der",
      "critical: account admin in bad.bin@0x10000/root/etc/shadow has a password from the built-in default list (md5crypt)",
      "critical: account root in bad.bin@0x10000/root/etc/shadow has a password from the built-in default list (sha512crypt)",
      "critical: account support in bad.bin@0x10000/root/opt/backup.tar.gz/gunzipped/etc/passwd has a password from the built-in default list (des)",
      "critical: account ubnt in bad.bin@0x10000/root/etc/shadow has a password from the built-in default list (bcrypt)",
      "high: an AWS access key id in bad.bin@0x10000/root/etc/cloud.conf",
      "medium: BusyBox 1.19.4 in bad.bin@0x10000/root/bin/busybox is older than 1.36.0",
    ]);
    const root0 = outcome.findings!.find((f) => f.title.startsWith("account root"))!;
    expect(root0.evidence).toMatchObject({ username: "root", password: "xc3511", scheme: "sha512crypt" });
    const key = outcome.findings!.find((f) => f.title.includes("device.key"))!;
    expect(key.evidence?.privateKey).toBe(tls.pem.trim());
    // bcrypt above cost 12 is left alone, and said so
    expect(outcome.findings!.filter((f) => f.severity === "info" && f.title.startsWith("account ")).map((f) => f.title))
      .toEqual(["account vault in bad.bin@0x10000/root/etc/shadow: hash scheme not tried ($2b…)"]);
    // Nothing was refused: the symlink loop is simply not followed
    expect(outcome.findings!.filter((f) => f.severity === "info" && f.title.startsWith("not unpacked"))).toEqual([]);
  });

  it("passes a clean image: strong hashes, a current BusyBox, no keys", async () => {
    const root = shop.tree("rootfs-good", {
      "etc/shadow": `root:${shop.hash("sha512", "Xq7!vR2#mw9@Lp")}:19000:0:99999:7:::\nnobody:!:19000::::::\n`,
      "bin/busybox": Buffer.from("\0BusyBox v1.36.1 (2023-07-01) multi-call binary\0"),
      "etc/ssl/certs/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
      "usr/share/doc/template.pem": "-----BEGIN PRIVATE KEY-----\nnot a key, a template\n-----END PRIVATE KEY-----\n",
    });
    const outcome = await check(shop.squashfs(root, "rootfs-good.sqfs"));
    expect(outcome.findings?.filter((f) => f.severity !== "info")).toEqual([]);
    expect(outcome.verdict).toBe("pass");
  });

  it("is not applicable without a declared image, inconclusive when the file is missing", async () => {
    expect((await firmwareSecrets.run(makeContext({ device: { id: "d", vendor: "v", model: "m", firmware: "1" } }))).verdict).toBe("not-applicable");
    expect((await check(shop.path("missing.bin"))).verdict).toBe("inconclusive");
  });
});

describe("unpacking refuses what it must not follow", () => {
  it("refuses a zip bomb from its central directory, before inflating anything, in bounded memory", async () => {
    // 40 entries of 100 MiB of zeros: 4 GiB declared, some 4 MiB on disk
    const bomb = shop.zipBomb("bomb.zip", 40, 100 * MiB);
    const result = await runIsolated(bomb);
    expect(result.refused).toEqual([{ path: "bomb.zip", reason: expect.stringMatching(/declares 4194304000 bytes unpacked, more than the 1073741824-byte budget: a zip bomb$/) }]);
    expect(result.bytesWritten).toBe(0);
    expect(result.maxRssBytes).toBeLessThan(256 * MiB);
    console.log(`zip bomb (4 GiB declared): refused, peak RSS ${(result.maxRssBytes / MiB).toFixed(0)} MiB`);
  });

  it("refuses a single entry that expands more than 1000 times", async () => {
    const unpacked = await unpackImage(shop.zipBomb("ratio.zip", 1, 300 * MiB));
    expect(unpacked.refused[0]?.reason).toMatch(/zeros-0\.bin expands \d+ times: a zip bomb$/);
    await unpacked.dispose();
  });

  it("stops a gzip bomb when it has written its budget", async () => {
    const bomb = shop.nestedGzip(Buffer.alloc(96 * MiB), 1, "bomb.gz");
    const unpacked = await unpackImage(bomb, { ...DEFAULT_UNPACK_LIMITS, maxTotalBytes: 32 * MiB });
    expect(unpacked.refused).toEqual([{ path: "bomb.gz", reason: expect.stringMatching(/would write more than 33554432 bytes/) }]);
    expect(unpacked.bytesWritten).toBeLessThan(34 * MiB);
    await unpacked.dispose();
  });

  it("stops at the nesting limit and unpacks a repeated archive once", async () => {
    const deep = await unpackImage(shop.nestedGzip(Buffer.from("innermost"), 6, "deep.gz"));
    expect(deep.refused).toEqual([{ path: "deep.gz/gunzipped/gunzipped/gunzipped/gunzipped", reason: "a gzip archive nested 4 deep; not unpacked (limit 4)" }]);
    await deep.dispose();
    const inner = await shop.zip({ "a.txt": Buffer.from("same") }, "inner.zip");
    const twice = shop.tree("twice", { "one/inner.zip": readBuffer(inner), "two/inner.zip": readBuffer(inner) });
    const outer = await unpackImage(shop.tarGz(twice, "twice.tar.gz"));
    expect(outer.refused.map((r) => r.reason)).toEqual(["the same zip archive was already unpacked (a copy, or a cycle)"]);
    expect(outer.files.filter((f) => f.path.endsWith("a.txt"))).toHaveLength(1);
    await outer.dispose();
  });

  it("refuses zip entries whose path leaves the folder", async () => {
    const evil = await shop.zip({ "ok.txt": Buffer.from("ok") }, "evil.zip");
    // yazl refuses "../" names, so the name is rewritten in place (same length)
    const bytes = readBuffer(evil);
    writeFileSync(evil, Buffer.from(bytes.toString("latin1").replaceAll("ok.txt", "../x.t"), "latin1"));
    const unpacked = await unpackImage(evil);
    expect(unpacked.refused).toEqual([{ path: "evil.zip", reason: "evil.zip is not a readable zip: invalid relative path: ../x.t" }]);
    expect(unpacked.files.map((f) => f.path)).toEqual(["evil.zip"]);
    await unpacked.dispose();
  });

  it("searches a 64 MiB image with a planted key in bounded memory", async () => {
    const root = shop.tree("rootfs-64", { "data/blob.bin": randomBytes(64 * MiB), "etc/device.key": shop.key("big", "rsa").pem });
    const image = shop.squashfs(root, "rootfs-64.sqfs", false);
    const started = performance.now();
    const result = await runIsolated(image);
    const seconds = (performance.now() - started) / 1000;
    expect(result.keys).toBe(1);
    expect(result.refused).toEqual([]);
    expect(result.maxRssBytes).toBeLessThan(256 * MiB);
    console.log(`64 MiB image: ${seconds.toFixed(1)} s, peak RSS ${(result.maxRssBytes / MiB).toFixed(0)} MiB`);
  }, 120_000);
});

describe("version comparison", () => {
  it.each([
    ["1.19.4", "1.36.0", -1], ["1.36.1", "1.36.0", 1], ["1.0.2k", "1.0.2", 1], ["1.1.1w", "3.0.0", -1], ["2019.78", "2022.83", -1], ["2022.83", "2022.83", 0],
  ])("%s vs %s", (a, b, sign) => expect(Math.sign(compareVersions(a as string, b as string))).toBe(sign));
});

async function runIsolated(image: string): Promise<{ files: number; bytesWritten: number; refused: { path: string; reason: string }[]; keys: number; maxRssBytes: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "test/helpers/unpack-and-search.ts", image], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout);
}

describe("the firmware data files", () => {
  const components = loadData<{ components: { name: string; regex: string; minimum: string; why: string }[] }>("firmware-components.yaml").components;
  const samples: Record<string, string> = {
    BusyBox: "BusyBox v1.31.1 (2020-03-02)", Dropbear: "Dropbear sshd v2019.78", OpenSSL: "OpenSSL 1.0.2k  26 Jan 2017", OpenSSH: "OpenSSH_7.4p1",
    dnsmasq: "dnsmasq-2.78", lighttpd: "lighttpd/1.4.45", Linux: "Linux version 3.10.14 (root@build)",
  };
  it.each(components.map((c) => [c.name, c] as const))("%s: its pattern reads a real version string, older than the minimum, and names a source", (name, c) => {
    const version = new RegExp(c.regex).exec(samples[name]!)?.[1];
    expect(version).toBeDefined();
    expect(compareVersions(version!, c.minimum)).toBeLessThan(0);
    expect(c.why).toMatch(/https:\/\//);
  });

  it("text patterns exist in boot-log-secrets.yaml and put their secret under a redacted key", () => {
    const wanted = loadData<{ textPatterns: string[] }>("firmware-secrets.yaml").textPatterns;
    const patterns = loadData<{ patterns: { id: string; key: string }[] }>("boot-log-secrets.yaml").patterns;
    const secretKeys = loadData<{ keys: string[] }>("secret-keys.yaml").keys;
    for (const id of wanted) expect(secretKeys).toContain(patterns.find((p) => p.id === id)?.key);
    // The keys firmware-secrets itself writes secrets under
    for (const key of ["privateKey", "password"]) expect(secretKeys).toContain(key);
  });
});
