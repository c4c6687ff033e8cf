// --credentials FILE: the user's own list of pairs for the credential checks, one `user:password`
// a line (the format hydra's -C and most published default lists use). Tried after the
// descriptor's declared credentials and before the built-in lists.
import { readFile, stat } from "node:fs/promises";
import { BadInput } from "./io.js";

/** Lists of default credentials run to thousands of lines; a file far beyond that is a mistake. */
const MAX_BYTES = 4 * 1024 * 1024;

export interface UserCredential {
  username: string;
  password: string;
}

/**
 * Read `user:password` lines. The first colon splits (passwords may hold colons); an empty user
 * name (":1234") is a password-only login. Blank lines and lines starting with # are skipped.
 */
export async function readCredentialsFile(file: string): Promise<UserCredential[]> {
  const size = await stat(file).then((s) => s.size, (err: Error) => { throw new BadInput(`--credentials ${file}: ${err.message}`); });
  if (size > MAX_BYTES) throw new BadInput(`--credentials ${file}: ${size} bytes, more than the ${MAX_BYTES} a credential list may have`);
  const lines = (await readFile(file, "utf8")).split(/\r?\n/);
  const pairs: UserCredential[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon < 0) throw new BadInput(`${file}:${i + 1}: expected user:password, got a line without a colon`);
    pairs.push({ username: line.slice(0, colon), password: line.slice(colon + 1) });
  });
  if (!pairs.length) throw new BadInput(`--credentials ${file}: no user:password line in it`);
  return pairs;
}
