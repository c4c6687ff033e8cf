// --credentials FILE: the user's own list of pairs for the credential checks, one `user:password`
// a line (the format hydra's -C and most published default lists use). Tried after the
// descriptor's declared credentials and before the built-in lists.
import { InputTooLarge, readInputFile } from "../core/input-file.js";
import { BadInput } from "./io.js";

export interface UserCredential {
  username: string;
  password: string;
}

/**
 * Read `user:password` lines. The first colon splits (passwords may hold colons); an empty user
 * name (":1234") is a password-only login. Blank lines and lines starting with # are skipped.
 */
export async function readCredentialsFile(file: string): Promise<UserCredential[]> {
  const bytes = await readInputFile(file).catch((err: Error) => {
    throw new BadInput(err instanceof InputTooLarge ? `--credentials ${err.message}` : `--credentials ${file}: ${err.message}`);
  });
  const lines = bytes.toString("utf8").split(/\r?\n/);
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
