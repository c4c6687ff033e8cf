// update.firmware-secrets: what the firmware image gives away to anyone who downloads it (EN 303 645
// 5.4-1 no hard-coded secrets in persistent storage, 5.1-1 no universal default passwords, 5.3-10/5.3
// outdated components): private keys, passwords that fall to the default lists, tokens, and
// components with known, fixed vulnerabilities.
import { basename } from "node:path";
import { stat } from "node:fs/promises";
import { loadData } from "../../core/data.js";
import type { Check, FindingInput, Outcome } from "../../core/types.js";
import { candidatesFor } from "../credentials/credential-list.js";
import { compareVersions } from "../../firmware/versions.js";

/** A file larger than this is searched in its first part only. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_ACCOUNTS_PER_FILE = 50;
/** sha512crypt costs some 15 ms a try here: a few hundred passwords per account stay within seconds. */
const CANDIDATES_PER_ACCOUNT = 300;
const MAX_SECRET_CHARS = 8192;
const PASSWORD_FILE_BYTES = 1024 * 1024;

const passwordFiles = () => new Set(loadData<{ passwordFiles: string[] }>("firmware-secrets.yaml").passwordFiles);

export const firmwareSecrets: Check = {
  id: "update.firmware-secrets",
  title: "The firmware image holds no secrets, default passwords or outdated components",
  description:
    "Unpacks the firmware image the descriptor names (declared.update.firmwareImage): squashfs (also found inside " +
    "a larger image), gzip, tar and zip, archive within archive, streaming to a temporary folder with a byte budget " +
    "(1 GiB), a file count limit and a nesting limit; zip and gzip bombs, cyclic archives and escaping paths are " +
    "refused. Then searches every file for private keys (PEM; DER PKCS#1, PKCS#8, SEC1), tokens, and component " +
    "version strings below the minimums in harness/data/firmware-components.yaml, and tries the built-in " +
    "credential lists on the hashes in passwd/shadow files (md5crypt, sha256crypt, sha512crypt, DES; bcrypt up to cost 12 with the first 20 candidates). Sends nothing.",
  effect: "observe",
  needs: [],
  timeoutMs: 15 * 60_000,
  plan: () => [],

  async run(ctx): Promise<Outcome> {
    const image = ctx.device.declared?.update?.firmwareImage;
    if (!image) return { verdict: "not-applicable", summary: "no firmware image declared (declared.update.firmwareImage)" };
    try {
      await stat(image);
    } catch (err) {
      return { verdict: "inconclusive", summary: `the firmware image cannot be read: ${(err as Error).message}` };
    }
    const [{ unpackImage }, { scanFile }, { accountsIn, crack, schemeOf }, { readFile }] = await Promise.all([
      import("../../firmware/unpack.js"), import("../../firmware/scan.js"), import("../../firmware/password-hashes.js"), import("node:fs/promises"),
    ]);
    ctx.progress(`unpacking ${image}`);
    const unpacked = await unpackImage(image, undefined, ctx.signal);
    try {
      const findings: FindingInput[] = [];
      // The login lists as for telnet: declared, the user's, Mirai's, then the IoT defaults
      const pairs = candidatesFor(ctx.device, ctx.options, { name: "shadow", kind: "telnet" }, 10_000);
      const passwords = [...new Set(pairs.map((c) => c.password))];
      const names = passwordFiles();
      const keysSeen = new Set<string>();
      const searched = unpacked.files.filter((f) => !f.unpackedAs);
      let done = 0;
      for (const file of searched) {
        if (++done % 200 === 0) ctx.progress(`searching file ${done} of ${searched.length}`);
        const found = await scanFile(file.real, MAX_FILE_BYTES, ctx.signal);
        for (const key of found.keys) {
          if (keysSeen.has(key.fingerprint)) continue;
          keysSeen.add(key.fingerprint);
          findings.push({
            severity: key.encrypted ? "high" : "critical",
            title: `${key.encrypted ? "an encrypted" : "a"} private key (${key.type}, ${key.encoding.toUpperCase()}) in ${file.path}`,
            evidence: { path: file.path, keyType: key.type, encoding: key.encoding, fingerprintSha256: key.fingerprint, privateKey: key.material.slice(0, MAX_SECRET_CHARS) },
          });
        }
        for (const token of found.tokens) {
          findings.push({ severity: "high", title: `${token.pattern.title} in ${file.path}`, evidence: { path: file.path, pattern: token.pattern.id, [token.pattern.key]: token.value.slice(0, MAX_SECRET_CHARS) } });
        }
        for (const { component, version } of found.versions) {
          if (compareVersions(version, component.minimum) >= 0) continue;
          findings.push({ severity: "medium", title: `${component.name} ${version} in ${file.path} is older than ${component.minimum}`, evidence: { path: file.path, component: component.name, version, minimum: component.minimum, why: component.why } });
        }
        if (names.has(basename(file.real)) && file.size <= PASSWORD_FILE_BYTES) {
          for (const account of accountsIn(await readFile(file.real, "latin1"), MAX_ACCOUNTS_PER_FILE)) {
            const scheme = schemeOf(account.hash);
            if (scheme === "none" && file.path.endsWith("shadow")) {
              findings.push({ severity: "critical", title: `account ${account.username} in ${file.path} has no password`, evidence: { path: file.path, username: account.username, line: account.line } });
              continue;
            }
            if (scheme === "none" || scheme === "locked") continue;
            if (scheme === "unsupported") {
              findings.push({ severity: "info", title: `account ${account.username} in ${file.path}: hash scheme not tried (${account.hash.slice(0, 3)}…)`, evidence: { path: file.path, username: account.username } });
              continue;
            }
            ctx.progress(`trying default passwords on ${account.username} in ${file.path}`);
            const own = pairs.filter((p) => p.username === account.username).map((p) => p.password);
            const password = crack(account, [...new Set([...own, account.username, ...passwords])], CANDIDATES_PER_ACCOUNT);
            if (password !== undefined) {
              findings.push({
                severity: "critical",
                title: `account ${account.username} in ${file.path} has a password from the built-in default list (${scheme})`,
                evidence: { path: file.path, username: account.username, line: account.line, scheme, password },
              });
            }
          }
        }
      }
      for (const r of unpacked.refused) findings.push({ severity: "info", title: `not unpacked: ${r.path}: ${r.reason}` });
      const evidence = { image, files: unpacked.files.length, searched: searched.length, bytesUnpacked: unpacked.bytesWritten, refused: unpacked.refused.length };
      const failing = findings.filter((f) => f.severity !== "info");
      if (failing.length) {
        const kinds = [...new Set(failing.map((f) => f.severity))].join(", ");
        return { verdict: "fail", summary: `${failing.length} finding${failing.length > 1 ? "s" : ""} (${kinds}) in ${searched.length} files of the image`, findings, evidence };
      }
      const partial = unpacked.refused.filter((r) => !r.reason.startsWith("the same"));
      if (partial.length) return { verdict: "inconclusive", summary: `nothing found, but ${partial.length} part${partial.length > 1 ? "s" : ""} of the image could not be unpacked: ${partial[0]!.reason}`, findings, evidence };
      return { verdict: "pass", summary: `no private key, default password, token or outdated component in ${searched.length} files`, findings, evidence };
    } finally {
      await unpacked.dispose();
    }
  },
};
