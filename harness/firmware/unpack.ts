// Unpacks a firmware image into a temporary folder, archive within archive: squashfs (Debian's
// unsquashfs), gzip (node:zlib), tar (node-tar) and zip (yauzl), plus a squashfs carved out of a
// larger image (the usual header + kernel + root filesystem layout). Every step streams to disk, so
// memory stays bounded whatever the image's size; what is written is bounded by a byte budget and a
// file count, and archives nest only so deep. A zip or gzip bomb, a cyclic or self-containing archive
// and paths that leave the folder are refused and reported, never followed.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdir, mkdtemp, open, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";

export interface UnpackLimits {
  /** Bytes all extraction together may write. */
  maxTotalBytes: number;
  /** Files all extraction together may create. */
  maxFiles: number;
  /** Archives inside archives; the image itself is depth 0. */
  maxDepth: number;
  /** An archive entry expanding more than this many times its compressed size is a bomb. */
  maxRatio: number;
  /** Time for one external unpacker run (unsquashfs). */
  toolTimeoutMs: number;
}

export const DEFAULT_UNPACK_LIMITS: UnpackLimits = {
  maxTotalBytes: 1024 * 1024 * 1024,
  maxFiles: 100_000,
  maxDepth: 4,
  maxRatio: 1000,
  toolTimeoutMs: 120_000,
};

export interface UnpackedFile {
  /** Where it is inside the image: "rootfs@0x40000/etc/shadow", archives joined by "/". */
  path: string;
  /** Where it is on disk now. */
  real: string;
  size: number;
  /** It was an archive and has been unpacked: its own bytes are compressed or repeated, not worth searching. */
  unpackedAs?: ArchiveKind;
}

export interface Refusal {
  path: string;
  reason: string;
}

export interface Unpacked {
  dir: string;
  files: UnpackedFile[];
  /** Archives or entries that were not unpacked, and why (bomb, cycle, too deep, escaping path, …). */
  refused: Refusal[];
  bytesWritten: number;
  /** Removes the temporary folder. */
  dispose(): Promise<void>;
}

export type ArchiveKind = "squashfs" | "gzip" | "tar" | "zip";

class Refused extends Error {}

const SQUASHFS_MAGIC = Buffer.from("hsqs");
const SCAN_CHUNK = 1024 * 1024;

async function head(file: string, bytes: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function kindOf(h: Buffer): ArchiveKind | undefined {
  if (h.subarray(0, 4).equals(SQUASHFS_MAGIC)) return "squashfs";
  if (h[0] === 0x1f && h[1] === 0x8b) return "gzip";
  if (h.subarray(0, 4).equals(Buffer.from("PK\x03\x04", "latin1"))) return "zip";
  if (h.length >= 262 && h.subarray(257, 262).toString("latin1") === "ustar") return "tar";
  return undefined;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

class Unpacker {
  readonly files: UnpackedFile[] = [];
  readonly refused: Refusal[] = [];
  bytesWritten = 0;
  #created = 0;
  #seen = new Set<string>();
  #n = 0;

  constructor(
    readonly dir: string,
    readonly limits: UnpackLimits,
    readonly signal: AbortSignal,
  ) {}

  #room(): number {
    return this.limits.maxTotalBytes - this.bytesWritten;
  }

  #outDir(): string {
    return join(this.dir, `x${++this.#n}`);
  }

  /** Counts bytes through a stream and stops it when the budget or `perEntry` runs out. */
  #meter(path: string, perEntry = Infinity): Transform {
    let entryBytes = 0;
    return new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        entryBytes += chunk.length;
        this.bytesWritten += chunk.length;
        if (entryBytes > perEntry) return done(new Refused(`${path} expands to more than it declares or ${this.limits.maxRatio}× its size: a bomb`));
        if (this.bytesWritten > this.limits.maxTotalBytes) return done(new Refused(`unpacking ${path} would write more than ${this.limits.maxTotalBytes} bytes: a bomb, or an image too large`));
        done(null, chunk);
      },
    });
  }

  #count(n = 1): void {
    this.#created += n;
    if (this.#created > this.limits.maxFiles) throw new Refused(`more than ${this.limits.maxFiles} files`);
  }

  async visit(real: string, path: string, depth: number): Promise<void> {
    if (this.signal.aborted) throw this.signal.reason;
    const st = await lstat(real);
    if (!st.isFile()) return;
    const record: UnpackedFile = { path, real, size: st.size };
    this.files.push(record);
    const kind = kindOf(await head(real, 512));
    if (!kind && depth === 0) return this.#carve(real, path, st.size);
    if (!kind) return;
    if (depth >= this.limits.maxDepth) {
      this.refused.push({ path, reason: `a ${kind} archive nested ${depth} deep; not unpacked (limit ${this.limits.maxDepth})` });
      return;
    }
    // The same archive twice is unpacked once: a copy, or an archive that contains itself
    const digest = await sha256Of(real);
    if (this.#seen.has(digest)) {
      this.refused.push({ path, reason: `the same ${kind} archive was already unpacked (a copy, or a cycle)` });
      return;
    }
    this.#seen.add(digest);
    await this.#unpack(kind, record, depth);
  }

  async #unpack(kind: ArchiveKind, record: UnpackedFile, depth: number): Promise<void> {
    const { real, path, size } = record;
    const out = this.#outDir();
    await mkdir(out);
    try {
      if (kind === "gzip") await this.#gunzip(real, path, out, size);
      else if (kind === "tar") await this.#untar(real, path, out);
      else if (kind === "zip") await this.#unzip(real, path, out);
      else await this.#unsquash(real, path, out);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      this.refused.push({ path, reason: err.message });
      await rm(out, { recursive: true, force: true });
      return;
    }
    record.unpackedAs = kind;
    await this.#walk(out, out, path, depth + 1);
  }

  /** Every regular file under `dir`; symbolic links are never followed (they may loop or leave). */
  async #walk(root: string, dir: string, path: string, depth: number): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const inner = `${path}/${relative(root, full).split(sep).join("/")}`;
      if (entry.isDirectory()) await this.#walk(root, full, path, depth);
      else if (entry.isFile()) await this.visit(full, inner, depth);
    }
  }

  async #gunzip(real: string, path: string, out: string, size: number): Promise<void> {
    this.#count();
    await pipeline(createReadStream(real), createGunzip(), this.#meter(path, Math.max(size * this.limits.maxRatio, 1024 * 1024)), createWriteStream(join(out, "gunzipped")), { signal: this.signal })
      .catch((err: unknown) => {
        if (err instanceof Refused) throw err;
        if ((err as NodeJS.ErrnoException).code?.startsWith("Z_")) throw new Refused(`${path} is not a valid gzip stream`);
        throw err;
      });
  }

  async #untar(real: string, path: string, out: string): Promise<void> {
    const tar = await import("tar");
    // Headers first: a tar's sizes are real bytes, so their sum bounds what extraction writes
    let declared = 0;
    let entries = 0;
    await tar.t({ file: real, onReadEntry: (e) => { declared += e.size ?? 0; entries++; } });
    if (declared > this.#room()) throw new Refused(`${path} holds ${declared} bytes, more than the ${this.limits.maxTotalBytes}-byte budget`);
    this.#count(entries);
    // Regular files and folders only: links could point out of the folder or make loops
    await tar.x({ file: real, cwd: out, strict: false, preservePaths: false, filter: (_p, e) => "type" in e && (e.type === "File" || e.type === "OldFile" || e.type === "Directory") });
    this.bytesWritten += declared;
  }

  async #unzip(real: string, path: string, out: string): Promise<void> {
    const yauzl = await import("yauzl");
    const zip = await new Promise<import("yauzl").ZipFile>((resolve, reject) =>
      yauzl.open(real, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, z) => (err ? reject(new Refused(`${path} is not a readable zip: ${err.message}`)) : resolve(z))));
    try {
      const entries: import("yauzl").Entry[] = [];
      await new Promise<void>((resolve, reject) => {
        zip.on("entry", (e: import("yauzl").Entry) => { entries.push(e); zip.readEntry(); });
        zip.on("end", resolve);
        zip.on("error", (err: Error) => reject(new Refused(`${path} is not a readable zip: ${err.message}`)));
        zip.readEntry();
      });
      // The central directory says what every entry expands to; a bomb shows there or in the ratio
      const declared = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
      if (declared > this.#room()) throw new Refused(`${path} declares ${declared} bytes unpacked, more than the ${this.limits.maxTotalBytes}-byte budget: a zip bomb`);
      const bomb = entries.find((e) => e.uncompressedSize > 1024 * 1024 && e.uncompressedSize > e.compressedSize * this.limits.maxRatio);
      if (bomb) throw new Refused(`${path}: ${bomb.fileName.slice(0, 100)} expands ${Math.round(bomb.uncompressedSize / Math.max(1, bomb.compressedSize))} times: a zip bomb`);
      this.#count(entries.length);
      for (const e of entries) {
        if (e.fileName.endsWith("/")) continue;
        // yauzl has already refused absolute names and ".." (the whole zip is then unreadable)
        const name = e.fileName;
        const target = join(out, name);
        await mkdir(join(target, ".."), { recursive: true });
        const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => zip.openReadStream(e, (err, s) => (err ? reject(new Refused(`${path}/${name}: ${err.message}`)) : resolve(s))));
        await pipeline(stream, this.#meter(`${path}/${name}`, e.uncompressedSize), createWriteStream(target), { signal: this.signal }).catch((err: unknown) => {
          if (err instanceof Refused) throw err;
          // yauzl's size validation: the entry expands beyond what it declares
          throw new Refused(`${path}/${name}: ${(err as Error).message}`);
        });
      }
    } finally {
      zip.close();
    }
  }

  async #unsquash(real: string, path: string, out: string): Promise<void> {
    // The listing gives every file's size before anything is written
    const listing = await this.#run("unsquashfs", ["-n", "-lls", real], path);
    let declared = 0;
    let entries = 0;
    for (const line of listing.split("\n")) {
      const m = /^(\S)\S{9} \S+\s+(\d+) /.exec(line);
      if (!m) continue;
      entries++;
      if (m[1] === "-") declared += Number(m[2]);
    }
    if (declared > this.#room()) throw new Refused(`${path} holds ${declared} bytes, more than the ${this.limits.maxTotalBytes}-byte budget`);
    this.#count(entries);
    // One processor and small queues keep unsquashfs's memory small; no xattrs, and as root it
    // would create device nodes and set owners, which -no-xattrs and the walk (regular files only) ignore
    await this.#run("unsquashfs", ["-n", "-no-xattrs", "-ignore-errors", "-p", "1", "-da", "8", "-fr", "8", "-d", join(out, "root"), real], path);
    this.bytesWritten += declared;
  }

  #run(cmd: string, args: string[], path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(cmd, args, { timeout: this.limits.toolTimeoutMs, maxBuffer: 64 * 1024 * 1024, signal: this.signal }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return reject(new Refused(`${cmd} is not installed (Debian: apt-get install squashfs-tools)`));
        // Exit 2: some entries could not be made (devices, xattrs); the rest is there
        if (err.code === 2) return resolve(stdout);
        reject(new Refused(`${cmd} could not read ${path}: ${String(stderr).trim().split("\n").pop()?.slice(0, 200) ?? err.message}`));
      });
    });
  }

  /** A squashfs inside a larger image: found by its magic and cut out by the size its superblock states. */
  async #carve(real: string, path: string, size: number): Promise<void> {
    const fh = await open(real, "r");
    const offsets: number[] = [];
    try {
      const buf = Buffer.alloc(SCAN_CHUNK + 3);
      for (let pos = 0; pos < size; pos += SCAN_CHUNK) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        for (let i = buf.subarray(0, bytesRead).indexOf(SQUASHFS_MAGIC); i >= 0 && i < SCAN_CHUNK; i = buf.subarray(0, bytesRead).indexOf(SQUASHFS_MAGIC, i + 1)) {
          offsets.push(pos + i);
        }
      }
      for (const offset of offsets.slice(0, 8)) {
        const sb = Buffer.alloc(96);
        await fh.read(sb, 0, 96, offset);
        // Superblock (squashfs 4.0): major version at 28, bytes_used at 40
        const major = sb.readUInt16LE(28);
        const used = Number(sb.readBigUInt64LE(40));
        if (major !== 4 || used < 96 || offset + used > size) continue;
        const out = this.#outDir();
        await mkdir(out);
        const carved = join(out, `squashfs@0x${offset.toString(16)}`);
        await pipeline(createReadStream(real, { start: offset, end: offset + used - 1 }), this.#meter(path), createWriteStream(carved));
        this.#count();
        await this.visit(carved, `${path}@0x${offset.toString(16)}`, 1);
      }
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      this.refused.push({ path, reason: err.message });
    } finally {
      await fh.close();
    }
  }
}

/** Unpack `image` (and what it holds) into a fresh temporary folder. */
export async function unpackImage(image: string, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS, signal: AbortSignal = new AbortController().signal): Promise<Unpacked> {
  const dir = await mkdtemp(join(tmpdir(), "iotcert-firmware-"));
  const unpacker = new Unpacker(dir, limits, signal);
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await unpacker.visit(image, image.split(sep).pop() ?? "image", 0);
  } catch (err) {
    if (!(err instanceof Refused)) {
      await dispose();
      throw err;
    }
    unpacker.refused.push({ path: image, reason: err.message });
  }
  return { dir, files: unpacker.files, refused: unpacker.refused, bytesWritten: unpacker.bytesWritten, dispose };
}
