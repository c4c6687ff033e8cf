// The rules a usable MUD URL keeps (RFC 8520). Apart from url.ts so that checks can judge a URL
// without loading the ASN.1 and X.509 parsers.

/** DHCPv4 option 161 carries at most 255 bytes, so a longer URL could not be emitted everywhere. */
const MAX_MUD_URL_BYTES = 255;

/** What is wrong with a MUD URL as a device emits it; empty when it is usable. */
export function mudUrlProblems(url: string): string[] {
  const long = Buffer.byteLength(url, "utf8") > MAX_MUD_URL_BYTES ? [`is longer than ${MAX_MUD_URL_BYTES} bytes`] : [];
  return [...long, ...httpsUrlProblems(url)];
}

/** What keeps a URL from being fetched safely over https: the rules for mud-url and mud-signature. */
export function httpsUrlProblems(url: string): string[] {
  const problems: string[] = [];
  // A URI is printable ASCII (RFC 3986); anything else is a device sending junk or tricks
  if (/[^\x21-\x7e]/.test(url)) problems.push("contains spaces, control characters or non-ASCII characters");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [...problems, "is not an absolute URL"];
  }
  if (parsed.protocol !== "https:") problems.push(`uses ${parsed.protocol.replace(/:$/, "")}: a MUD URL must use https (RFC 8520)`);
  if (parsed.username || parsed.password) problems.push("carries a user name or password");
  if (!parsed.hostname) problems.push("names no host");
  return problems;
}

/** Two URLs name the same resource once normalised (case of scheme and host, default port). */
export function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}
