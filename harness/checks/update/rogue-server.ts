// update.rogue-server: does the device install what an attacker who controls its update host
// serves — a release whose image was altered after signing, or an older release that is correctly
// signed (a rollback to known vulnerabilities)? EN 303 645 5.3-9 (authenticity and integrity of
// updates), 5.3-2 (updates delivered securely). It changes the device's firmware when the device
// is at fault, so it runs only with --state-changing, in a lab that points the update host here.
import { readFile, stat } from "node:fs/promises";
import type { Check, CheckContext, FindingInput, Outcome } from "../../core/types.js";
import type { Release } from "../../schema/types.js";
import type { RogueUpdateServer } from "../../update/rogue-server.js";
import type { Readback } from "../../update/version-readback.js";

const MAX_FILE_BYTES = 64 * 1024 * 1024;
const DEFAULT_WAIT_S = 120;
const MAX_WAIT_S = 3600;

type PhaseName = "tampered" | "rollback";

interface PhaseResult {
  phase: PhaseName;
  /** taken: the device reports another version; refused: it fetched the manifest or image and kept its version; not-fetched: it asked for neither. */
  result: "taken" | "refused" | "not-fetched";
  imageFetched: boolean;
  before: string;
  after?: string;
  requests: { path: string; status: number }[];
}

async function readBounded(file: string): Promise<Buffer> {
  if ((await stat(file)).size > MAX_FILE_BYTES) throw new Error(`${file} is larger than ${MAX_FILE_BYTES} bytes`);
  return readFile(file);
}

/** The release's image with one byte in its middle changed: what a signature must catch. */
export function tamper(image: Buffer): Buffer {
  const copy = Buffer.from(image);
  const at = Math.floor(copy.length / 2);
  copy.writeUInt8(copy.readUInt8(at) ^ 0xff, at);
  return copy;
}

const pathOf = (url: string | undefined) => (url ? new URL(url).pathname : undefined);

async function releaseFiles(ctx: CheckContext, release: Release, image: Buffer): Promise<Map<string, Buffer>> {
  const u = ctx.device.declared?.update ?? {};
  const files = new Map<string, Buffer>([[pathOf(u.firmwareUrl)!, image]]);
  const manifest = pathOf(u.manifestUrl);
  const signature = pathOf(u.signatureUrl);
  if (manifest && release.manifest) files.set(manifest, await readBounded(release.manifest));
  if (signature && release.signature) files.set(signature, await readBounded(release.signature));
  return files;
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(done, ms);
  signal.addEventListener("abort", done, { once: true });
  function done() {
    clearTimeout(timer);
    signal.removeEventListener("abort", done);
    resolve();
  }
});

async function runPhase(
  ctx: CheckContext,
  server: RogueUpdateServer,
  phase: PhaseName,
  files: Map<string, Buffer>,
  before: string,
  waitMs: number,
  read: () => Promise<Readback>,
): Promise<PhaseResult> {
  server.offer({ files });
  const firmwarePath = pathOf(ctx.device.declared?.update?.firmwareUrl)!;
  const manifestPath = pathOf(ctx.device.declared?.update?.manifestUrl);
  const deadline = performance.now() + waitMs;
  const pollMs = Math.min(2000, Math.max(200, waitMs / 10));
  let after: string | undefined;
  while (performance.now() < deadline && !ctx.signal.aborted) {
    ctx.progress(`${phase}: ${server.fetched(firmwarePath) ? "image fetched, " : ""}waiting for the device (${Math.ceil((deadline - performance.now()) / 1000)} s left)`);
    await sleep(pollMs, ctx.signal);
    const now = await read();
    // A device that is rebooting into new firmware does not answer for a while: keep asking
    if (now.ok && now.version !== before) {
      after = now.version;
      break;
    }
  }
  const requests = server.requests.map(({ path, status }) => ({ path, status })).slice(0, 100);
  const imageFetched = server.fetched(firmwarePath);
  if (after !== undefined) return { phase, result: "taken", imageFetched, before, after, requests };
  // A device may refuse a rollback from the manifest's version alone, without fetching the image
  const looked = imageFetched || (!!manifestPath && server.fetched(manifestPath));
  return { phase, result: looked ? "refused" : "not-fetched", imageFetched, before, requests };
}

function finding(r: PhaseResult, release: Release): FindingInput {
  return r.phase === "tampered"
    ? { severity: "critical", title: `the device installed an update whose image was altered after signing (now reports ${r.after})`, evidence: { before: r.before, after: r.after, offered: release.version } }
    : { severity: "critical", title: `the device rolled back to an older signed release (now reports ${r.after})`, evidence: { before: r.before, after: r.after, offered: release.version } };
}

export const rogueServer: Check = {
  id: "update.rogue-server",
  title: "The device refuses tampered and rolled-back updates",
  description:
    "Plays the device's update host (updateLab.listen: the lab makes the host resolve there) and serves, at the " +
    "paths of the declared manifest, firmware and signature URLs, first the current signed release with one byte " +
    "of its image changed, then an older signed release. After each it reads the version the device reports " +
    "(declared.update.versionReadback: HTTP, MQTT or serial) until it changes or updateLab.waitSeconds pass. " +
    "Installing either is critical. The device must run a version between the older and the current release. " +
    "It may change the device's firmware, so it runs only with --state-changing.",
  effect: "state-changing",
  needs: [],
  timeoutMs: 2 * MAX_WAIT_S * 1000 + 60_000,
  plan(device) {
    const lab = device.updateLab;
    if (!lab) return [];
    return [{ address: lab.listen.address, port: lab.listen.port, protocol: lab.tls ? "https server" : "http server", count: 2, note: "offers a tampered image, then an older signed release; reads the version back after each" }];
  },

  async run(ctx): Promise<Outcome> {
    const lab = ctx.device.updateLab;
    if (!lab) return { verdict: "not-applicable", summary: "no updateLab in the descriptor: the lab has not pointed the device's update host here" };
    if (!ctx.options.stateChanging) return { verdict: "inconclusive", summary: "not run: it may change the device's firmware, and --state-changing was not given" };
    const update = ctx.device.declared?.update ?? {};
    const how = update.versionReadback;
    if (!how) return { verdict: "inconclusive", summary: "the descriptor does not say how the device reports its version (declared.update.versionReadback)" };
    if (!update.firmwareUrl) return { verdict: "inconclusive", summary: "no declared.update.firmwareUrl: the path the device fetches its image from is unknown" };

    const [{ RogueUpdateServer }, { readVersion }] = await Promise.all([import("../../update/rogue-server.js"), import("../../update/version-readback.js")]);
    let tamperedFiles: Map<string, Buffer>;
    let rollbackFiles: Map<string, Buffer>;
    let tls: { cert: Buffer; key: Buffer } | undefined;
    try {
      tamperedFiles = await releaseFiles(ctx, lab.current, tamper(await readBounded(lab.current.image)));
      rollbackFiles = await releaseFiles(ctx, lab.older, await readBounded(lab.older.image));
      if (lab.tls) tls = { cert: await readFile(lab.tls.cert), key: await readFile(lab.tls.key) };
    } catch (err) {
      return { verdict: "error", summary: `the lab's release files cannot be read: ${(err as Error).message}` };
    }

    const read = () => readVersion(ctx, how);
    const first = await read();
    if (!first.ok) return { verdict: "inconclusive", summary: `the device's version could not be read: ${first.reason}` };
    if (first.version === lab.current.version || first.version === lab.older.version) {
      return { verdict: "inconclusive", summary: `the device runs ${first.version}; for this test it must run a version between ${lab.older.version} and ${lab.current.version}` };
    }

    const server = new RogueUpdateServer();
    try {
      await server.listen(lab.listen.address, lab.listen.port, tls);
    } catch (err) {
      return { verdict: "error", summary: `cannot serve on ${lab.listen.address}:${lab.listen.port}: ${(err as Error).message}` };
    }
    const waitMs = Math.min(lab.waitSeconds ?? DEFAULT_WAIT_S, MAX_WAIT_S) * 1000;
    const results: PhaseResult[] = [];
    try {
      results.push(await runPhase(ctx, server, "tampered", tamperedFiles, first.version, waitMs, read));
      const now = results[0]!.after ?? first.version;
      results.push(await runPhase(ctx, server, "rollback", rollbackFiles, now, waitMs, read));
    } finally {
      await server.close();
    }

    const evidence = { versionBefore: first.version, current: lab.current.version, older: lab.older.version, phases: results };
    const taken = results.filter((r) => r.result === "taken");
    if (taken.length) {
      const releases = { tampered: lab.current, rollback: lab.older };
      return { verdict: "fail", summary: `the device took the ${taken.map((r) => r.phase).join(" and the ")} update`, findings: taken.map((r) => finding(r, releases[r.phase])), evidence };
    }
    const silent = results.filter((r) => r.result === "not-fetched");
    if (silent.length) {
      return { verdict: "inconclusive", summary: `the device never fetched the ${silent.map((r) => r.phase).join(" or the ")} offer within ${waitMs / 1000} s: is its update host pointed here, and was an update check triggered?`, evidence };
    }
    return { verdict: "pass", summary: `the device looked at and refused the tampered and the rolled-back release (still ${results[1]!.before})`, evidence };
  },
};
