// Fetch a device's MUD file and judge it: valid against the schema and the rules, then its
// signature, fetched from the URL the file names. Shared by the mud.* checks and the command line.
import type { Certificate, RelativeDistinguishedNames } from "pkijs";
import type { Link } from "../transports/tcp.js";
import { DEFAULT_FETCH_LIMITS, fetchFailure, fetchOverHttps, httpsTarget } from "./fetch.js";
import { verifyMudSignature, type SignatureResult } from "./signature.js";
import { validateMud, type MudValidation } from "./validate.js";
import type { MudFile } from "./model.js";

/** CMS signatures with a short chain are a few kilobytes. */
export const MAX_SIGNATURE_BYTES = 64 * 1024;

export type Retrieval =
  | { ok: true; bytes: Buffer; validation: MudValidation }
  /** deviceFault: the device's server answered wrongly (404, too large); otherwise the lab could not reach it. */
  | { ok: false; reason: string; deviceFault: boolean };

export async function retrieveMud(link: Link, url: string, now = new Date()): Promise<Retrieval> {
  try {
    const bytes = await fetchOverHttps(link, url, DEFAULT_FETCH_LIMITS);
    return { ok: true, bytes, validation: validateMud(bytes, { url, now }) };
  } catch (err) {
    return { ok: false, ...fetchFailure(err) };
  }
}

export type SignatureCheck =
  | SignatureResult
  | { status: "unsigned"; detail: string }
  | { status: "unavailable"; detail: string; deviceFault: boolean };

/**
 * Fetch the file's mud-signature and verify it over `bytes`. A signature on another host than the
 * file is not fetched: the MUD URL's host is the one the lab put in scope.
 */
export async function checkSignature(
  link: Link,
  mud: MudFile,
  bytes: Uint8Array,
  opts: { fileUrl: string; trustAnchors: Certificate[]; expectedSigner?: RelativeDistinguishedNames; now?: Date },
): Promise<SignatureCheck> {
  const url = mud["ietf-mud:mud"]["mud-signature"];
  if (url === undefined) return { status: "unsigned", detail: "the MUD file names no mud-signature" };
  let signature: Buffer;
  try {
    if (httpsTarget(url).host !== httpsTarget(opts.fileUrl).host) {
      return { status: "unavailable", detail: `the signature ${url} is on another host than the MUD file; not fetched`, deviceFault: false };
    }
    signature = await fetchOverHttps(link, url, { ...DEFAULT_FETCH_LIMITS, maxBytes: MAX_SIGNATURE_BYTES });
  } catch (err) {
    const { reason, deviceFault } = fetchFailure(err);
    return { status: "unavailable", detail: `the signature could not be fetched: ${reason}`, deviceFault };
  }
  return verifyMudSignature(bytes, signature, opts);
}
