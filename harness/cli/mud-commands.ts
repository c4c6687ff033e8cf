// The `iotcert mud …` commands' work (mud.ts registers them and loads this when one runs).
//   mud validate FILE|URL [--signature SIG] [--trust CA.pem]…   0 valid, 1 invalid (a reason a line), 2 bad input
//   mud url CERT|CAPTURE                                        the MUD URL in a certificate, or those in a capture
//   mud conform MUDFILE CAPTURE --device-ip ADDR…               0 conforms, 1 flows not permitted (a line each)
//   mud generate CAPTURE --device-ip ADDR… --mud-url URL        a proposed MUD file, valid by the same schema
//   mud listen --interface IF [--duration S]                    MUD URLs in DHCP and LLDP on a lab network
import { open, stat, writeFile } from "node:fs/promises";
import type { Certificate } from "pkijs";
import { Evidence, ProbeLedger } from "../core/evidence.js";
import { InputTooLarge, readInputFile } from "../core/input-file.js";
import { Pace } from "../core/pace.js";
import { Scope } from "../core/scope.js";
import { readCapture, type Capture, type MudUrlSighting } from "../mud/capture.js";
import { conformance, type Violation } from "../mud/conform.js";
import { httpsTarget } from "../mud/fetch.js";
import { generateMud } from "../mud/generate.js";
import { AddressError } from "../mud/policy.js";
import { listenForMudUrls } from "../mud/listen.js";
import { checkSignature, MAX_SIGNATURE_BYTES, retrieveMud } from "../mud/retrieve.js";
import { trustAnchorsIn, verifyMudSignature } from "../mud/signature.js";
import { CaptureError } from "../mud/tshark.js";
import { CertificateError, certificateMud, certificatesInFile } from "../mud/url.js";
import { mudUrlProblems } from "../mud/url-rules.js";
import { validateMud, type MudValidation } from "../mud/validate.js";
import type { Link } from "../transports/tcp.js";
import { BadInput, type Io } from "./io.js";
import { terminalSafe } from "./terminal-safe.js";

const MAX_CERTIFICATE_BYTES = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// mud validate

export async function validateCommand(target: string, flags: { signature?: string; trust: string[]; url?: string }, io: Io): Promise<number> {
  const trustAnchors = await readTrustAnchors(flags.trust);
  const remote = /^https?:\/\//i.test(target);
  const where = terminalSafe(target);
  let bytes: Buffer;
  let validation: MudValidation;
  let link: Link | undefined;
  if (remote) {
    if (mudUrlProblems(target).length > 0) throw new BadInput(`${where}: ${mudUrlProblems(target).join("; ")}`);
    link = oneHostLink(httpsTarget(target).host);
    const got = await retrieveMud(link, target);
    if (!got.ok) {
      io.err.write(`${where}: ${terminalSafe(got.reason)}\n`);
      return got.deviceFault ? 1 : 3;
    }
    ({ bytes, validation } = got);
  } else {
    bytes = await readMudFile(target);
    validation = validateMud(bytes, flags.url === undefined ? {} : { url: flags.url });
  }

  const reasons = [...validation.problems];
  const notes = [...validation.notes];
  if (validation.mud && (flags.signature || trustAnchors.length > 0 || (link && validation.mud["ietf-mud:mud"]["mud-signature"]))) {
    const signature = flags.signature
      ? await verifyMudSignature(bytes, await readWhole(flags.signature, MAX_SIGNATURE_BYTES, "a MUD signature"), { trustAnchors })
      : link
        ? await checkSignature(link, validation.mud, bytes, { fileUrl: target, trustAnchors })
        : ({ status: "unsigned", detail: "no --signature was given" } as const);
    const line = `signature ${signature.status}: ${signature.detail}`;
    if (signature.status === "verified" || signature.status === "intact") notes.push(line);
    else reasons.push(line);
  }
  for (const n of notes) io.out.write(`${where}: note: ${terminalSafe(n)}\n`);
  if (reasons.length === 0 && validation.mud) {
    io.out.write(`${where}: valid MUD file for ${terminalSafe(validation.mud["ietf-mud:mud"]["mud-url"])}\n`);
    return 0;
  }
  for (const r of reasons) io.out.write(`${where}: ${terminalSafe(r)}\n`);
  return 1;
}

/** The whole file, which must be at most `max` bytes. */
async function readWhole(file: string, max: number, what: string): Promise<Buffer> {
  const bytes = await readBounded(file, max + 1);
  if (bytes.length > max) throw new BadInput(`${file}: larger than ${max} bytes: not ${what}`);
  return bytes;
}

async function readTrustAnchors(files: string[]): Promise<Certificate[]> {
  const anchors: Certificate[] = [];
  for (const file of files) {
    try {
      anchors.push(...trustAnchorsIn(await readWhole(file, MAX_CERTIFICATE_BYTES, "a certificate file")));
    } catch (err) {
      if (err instanceof CertificateError) throw new BadInput(`--trust ${file}: ${err.message}`);
      throw err;
    }
  }
  return anchors;
}

// ---------------------------------------------------------------------------------------------
// mud url

export async function urlCommand(file: string, io: Io): Promise<number> {
  const head = await readBounded(file, MAX_CERTIFICATE_BYTES + 1);
  if (isCapture(head)) {
    const sightings = (await captureOf(file)).sightings;
    for (const s of sightings) io.out.write(`${sightingLine(s)}\n`);
    if (sightings.length === 0) io.err.write(`${terminalSafe(file)}: no MUD URL in DHCP or LLDP\n`);
    return sightings.length > 0 ? 0 : 1;
  }
  if (head.length > MAX_CERTIFICATE_BYTES) throw new BadInput(`${file}: larger than ${MAX_CERTIFICATE_BYTES} bytes: not a certificate file`);
  let found = 0;
  let code = 0;
  try {
    for (const der of certificatesInFile(head)) {
      const { url } = certificateMud(der);
      if (url === undefined) continue;
      found++;
      io.out.write(`${terminalSafe(url)}\n`);
      for (const p of mudUrlProblems(url)) {
        io.err.write(`${terminalSafe(file)}: the MUD URL ${p}\n`);
        code = 1;
      }
    }
  } catch (err) {
    if (err instanceof CertificateError) throw new BadInput(`${file}: ${err.message}`);
    throw err;
  }
  if (found === 0) {
    io.err.write(`${terminalSafe(file)}: the certificate has no MUD URL extension (1.3.6.1.5.5.7.1.25)\n`);
    return 1;
  }
  return code;
}

/** pcap (either byte order, micro- or nanosecond) or pcapng section header. */
function isCapture(head: Buffer): boolean {
  if (head.length < 4) return false;
  const magic = head.readUInt32LE(0);
  return [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(magic);
}

function sightingLine(s: MudUrlSighting): string {
  const who = [s.mac, s.address].filter(Boolean).join(" ");
  return `${terminalSafe(s.url)}  (${s.via}, ${new Date(s.time * 1000).toISOString()}${who ? `, ${who}` : ""})`;
}

// ---------------------------------------------------------------------------------------------
// mud conform

export interface ConformFlags {
  deviceIp: string[];
  localNetwork: string[];
  controller: string[];
  myController: string[];
}

export async function conformCommand(mudfile: string, captureFile: string, flags: ConformFlags, io: Io): Promise<number> {
  if (flags.deviceIp.length === 0) throw new BadInput("mud conform needs --device-ip");
  const validation = validateMud(await readMudFile(mudfile));
  if (!validation.mud) throw new BadInput(`${mudfile} is not a MUD file that can be judged by:\n${validation.problems.map((p) => `  ${terminalSafe(p)}`).join("\n")}`);
  for (const p of validation.problems) io.err.write(`${terminalSafe(mudfile)}: note: ${terminalSafe(p)}\n`);
  const controllers: Record<string, string[]> = {};
  for (const entry of flags.controller) {
    const cut = entry.lastIndexOf("=");
    if (cut <= 0) throw new BadInput(`--controller ${entry}: expected URI=ADDRESS`);
    (controllers[entry.slice(0, cut)] ??= []).push(entry.slice(cut + 1));
  }
  const capture = await captureOf(captureFile);
  const result = guarded(() => conformance(validation.mud!, capture, {
    device: flags.deviceIp,
    ...(flags.localNetwork.length ? { localNetworks: flags.localNetwork } : {}),
    controllers,
    myControllers: flags.myController,
  }));
  for (const v of result.violations) io.out.write(`${violationLine(v)}\n`);
  for (const c of result.caveats) io.err.write(`note: ${terminalSafe(c)}\n`);
  io.err.write(`${result.judged} flows judged, ${result.permitted} permitted, ${result.violations.length} kinds not permitted; ${result.infrastructure} DHCP/DNS/neighbour-discovery flows not judged\n`);
  return result.violations.length > 0 ? 1 : 0;
}

function violationLine(v: Violation): string {
  const f = v.flow;
  const end = (a: string, p?: number) => (p === undefined ? a : a.includes(":") ? `[${a}]:${p}` : `${a}:${p}`);
  const proto = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6" }[f.protocol] ?? `protocol ${f.protocol}`;
  const names = v.names.length ? ` (${v.names.map((n) => terminalSafe(n, 100)).join(", ")})` : "";
  const count = v.flows > 1 ? ` [${v.flows} flows, ${v.packets} packets]` : ` [${v.packets} packets]`;
  return `${new Date(f.first * 1000).toISOString()} ${v.direction} ${end(f.src, f.srcPort)} -> ${end(f.dst, f.dstPort)} ${proto}${names}: ${v.reason}${count}`;
}

// ---------------------------------------------------------------------------------------------
// mud generate

export interface GenerateFlags {
  deviceIp: string[];
  mudUrl: string;
  localNetwork: string[];
  mfgName?: string;
  modelName?: string;
  out?: string;
}

export async function generateCommand(captureFile: string, flags: GenerateFlags, io: Io): Promise<number> {
  if (flags.deviceIp.length === 0) throw new BadInput("mud generate needs --device-ip");
  const urlProblems = mudUrlProblems(flags.mudUrl);
  if (urlProblems.length > 0) throw new BadInput(`--mud-url ${flags.mudUrl}: ${urlProblems.join("; ")}`);
  const capture = await captureOf(captureFile);
  const { mud, infrastructure } = guarded(() => generateMud(capture, {
    device: flags.deviceIp, mudUrl: flags.mudUrl,
    ...(flags.localNetwork.length ? { localNetworks: flags.localNetwork } : {}),
    ...(flags.mfgName ? { mfgName: flags.mfgName } : {}),
    ...(flags.modelName ? { modelName: flags.modelName } : {}),
  }));
  const text = `${JSON.stringify(mud, null, 2)}\n`;
  // The proposal must pass the same validation a published file gets
  const check = validateMud(Buffer.from(text), { url: flags.mudUrl });
  if (check.problems.length > 0) throw new Error(`the generated MUD file does not validate: ${check.problems.join("; ")}`);
  if (flags.out) await writeFile(flags.out, text);
  else io.out.write(text);
  const aces = (mud["ietf-access-control-list:acls"]?.acl ?? []).reduce((n, acl) => n + (acl.aces?.ace?.length ?? 0), 0);
  io.err.write(`${aces} access-list entries from ${capture.flows.length} flows; ${infrastructure} DHCP/DNS/neighbour-discovery flows left out${capture.truncated ? "; the capture was cut at the limits" : ""}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// mud listen

export async function listenCommand(flags: { interface: string; duration: string }, io: Io): Promise<number> {
  const durationS = Number(flags.duration);
  if (!Number.isInteger(durationS) || durationS < 1 || durationS > 86_400) throw new BadInput("--duration must be whole seconds from 1 to 86400");
  io.err.write(`listening on ${terminalSafe(flags.interface)} for ${durationS} s (DHCPv4 option 161, DHCPv6 option 112, LLDP)\n`);
  let sightings: MudUrlSighting[];
  try {
    sightings = await listenForMudUrls(flags.interface, { durationS, onSighting: (s) => io.out.write(`${sightingLine(s)}\n`) });
  } catch (err) {
    // No such interface, or no right to capture on it
    if (err instanceof CaptureError && err.kind === "refused") throw new BadInput(err.message);
    throw err;
  }
  if (sightings.length === 0) io.err.write("no MUD URL seen\n");
  return sightings.length > 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// Shared

/** A local MUD file, under the cap every input has (validateMud judges the MUD file's own limit). */
async function readMudFile(file: string): Promise<Buffer> {
  try {
    return await readInputFile(file);
  } catch (err) {
    if (err instanceof InputTooLarge) throw new BadInput(err.message);
    throw new BadInput(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
}

/** Reads at most `max` bytes (ask for one more than allowed to tell a larger file); a missing file is bad input. */
async function readBounded(file: string, max: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (err) {
    throw new BadInput(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  try {
    const buffer = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function captureOf(file: string): Promise<Capture> {
  try {
    if (!(await stat(file)).isFile()) throw new BadInput(`${file}: not a file`);
  } catch (err) {
    if (err instanceof BadInput) throw err;
    throw new BadInput(`${file}: no such file`);
  }
  try {
    return await readCapture(file);
  } catch (err) {
    // tshark refusing the file means it is not a capture it can read: bad input, not a failed run
    if (err instanceof CaptureError && err.kind === "refused") throw new BadInput(`${file}: ${err.message}`);
    throw err;
  }
}

/** Malformed addresses and prefixes in the options surface as AddressError from the library: bad input. */
function guarded<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof AddressError) throw new BadInput(err.message);
    throw err;
  }
}

/** A Link that may reach one host only: the command line's stand-in for a run's context. */
function oneHostLink(host: string): Link {
  return {
    scope: new Scope([host]),
    pace: Pace.named("gentle"),
    signal: new AbortController().signal,
    evidence: new Evidence("mud.cli", new ProbeLedger()),
    options: { allowFragile: false, stateChanging: false },
  };
}
