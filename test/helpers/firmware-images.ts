// Firmware images the tests build themselves: a root filesystem packed with Debian's mksquashfs
// (and put behind a header, as in a real flash image), keys from openssl, password hashes from
// openssl passwd and perl's crypt (libc), archives from node:zlib, tar and yazl, and a zip bomb
// written byte by byte.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { crc32, deflateRawSync, gzipSync } from "node:zlib";
import * as tar from "tar";
import yazl from "yazl";

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] }).toString();

export class FirmwareWorkshop {
  readonly dir = mkdtempSync(join(tmpdir(), "iotcert-fw-test-"));

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Write `files` (relative path → content) under a fresh folder; returns it. */
  tree(name: string, files: Record<string, string | Buffer>): string {
    const root = this.path(name);
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), content);
    }
    return root;
  }

  link(root: string, rel: string, target: string): void {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    symlinkSync(target, join(root, rel));
  }

  squashfs(root: string, name: string, compress = true): string {
    const out = this.path(name);
    run("mksquashfs", [root, out, "-noappend", "-quiet", "-all-root", "-no-progress", ...(compress ? [] : ["-noI", "-noD", "-noF", "-noX"])]);
    return out;
  }

  /** A flash image: `headerBytes` of vendor header and kernel, then the squashfs, then padding. */
  flashImage(squashfs: string, name: string, headerBytes = 64 * 1024): string {
    const header = Buffer.alloc(headerBytes, 0xff);
    header.write("UBI#\x01 vendor header; Linux version 5.15.137 (builder@acme) #1 SMP", 0, "latin1");
    const out = this.path(name);
    writeFileSync(out, Buffer.concat([header, readFileSync(squashfs), Buffer.alloc(4096, 0xff)]));
    return out;
  }

  /** An openssl private key: PEM text, and its PKCS#8 DER. */
  key(name: string, algorithm: "ec" | "rsa" | "ed25519"): { pem: string; der: Buffer } {
    const pemFile = this.path(`${name}.pem`);
    const opts = algorithm === "ec" ? ["-pkeyopt", "ec_paramgen_curve:P-256"] : algorithm === "rsa" ? ["-pkeyopt", "rsa_keygen_bits:2048"] : [];
    run("openssl", ["genpkey", "-algorithm", algorithm, ...opts, "-out", pemFile]);
    run("openssl", ["pkcs8", "-topk8", "-nocrypt", "-in", pemFile, "-outform", "DER", "-out", this.path(`${name}.der`)]);
    return { pem: readFileSync(pemFile, "utf8"), der: readFileSync(this.path(`${name}.der`)) };
  }

  /** crypt(3) hashes as a device's build would make them (bcrypt and DES by the C library's crypt, through perl). */
  hash(scheme: "sha512" | "sha256" | "md5" | "des" | "bcrypt", password: string, cost = 5): string {
    if (scheme === "des") return run("perl", ["-e", "print crypt($ARGV[0], 'Zq')", password]);
    if (scheme === "bcrypt") return run("perl", ["-e", "print crypt($ARGV[0], $ARGV[1])", password, `$2b$${String(cost).padStart(2, "0")}$k2Qz9pXwk2Qz9pXwk2Qz9u`]);
    return run("openssl", ["passwd", scheme === "sha512" ? "-6" : scheme === "sha256" ? "-5" : "-1", "-salt", "k2Qz9pXw", password]).trim();
  }

  tarGz(root: string, name: string): string {
    const out = this.path(name);
    tar.c({ gzip: true, file: out, cwd: root, sync: true }, ["."]);
    return out;
  }

  async zip(files: Record<string, Buffer>, name: string): Promise<string> {
    const zip = new yazl.ZipFile();
    for (const [entry, content] of Object.entries(files)) zip.addBuffer(content, entry);
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    writeFileSync(this.path(name), Buffer.concat(chunks));
    return this.path(name);
  }

  /** gzip within gzip, `levels` deep, around `content`. */
  nestedGzip(content: Buffer, levels: number, name: string): string {
    let data = content;
    for (let i = 0; i < levels; i++) data = gzipSync(data);
    writeFileSync(this.path(name), data);
    return this.path(name);
  }

  /**
   * A zip bomb: `entries` entries, each `entryBytes` of zeros deflated (about 1000:1), sharing
   * nothing but written out in full. Its central directory declares entries × entryBytes.
   */
  zipBomb(name: string, entries: number, entryBytes: number): string {
    const zeros = Buffer.alloc(entryBytes);
    const data = deflateRawSync(zeros, { level: 9 });
    const crc = crc32(zeros);
    const locals: Buffer[] = [];
    const centrals: Buffer[] = [];
    let offset = 0;
    for (let i = 0; i < entries; i++) {
      const fileName = Buffer.from(`zeros-${i}.bin`);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(8, 8);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(entryBytes, 22);
      local.writeUInt16LE(fileName.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0);
      central.writeUInt16LE(20, 4);
      central.writeUInt16LE(20, 6);
      central.writeUInt16LE(8, 10);
      central.writeUInt32LE(crc, 16);
      central.writeUInt32LE(data.length, 20);
      central.writeUInt32LE(entryBytes, 24);
      central.writeUInt16LE(fileName.length, 28);
      central.writeUInt32LE(offset, 42);
      locals.push(local, fileName, data);
      centrals.push(central, fileName);
      offset += 30 + fileName.length + data.length;
    }
    const directory = Buffer.concat(centrals);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries, 8);
    end.writeUInt16LE(entries, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    writeFileSync(this.path(name), Buffer.concat([...locals, directory, end]));
    return this.path(name);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
