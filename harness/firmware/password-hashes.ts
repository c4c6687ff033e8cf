// Accounts in passwd(5) and shadow(5) files and their crypt(3) hashes, tried against candidate
// passwords: md5crypt ($1$, nano-md5), sha256crypt/sha512crypt ($5$, $6$, unixcrypt), bcrypt
// ($2a$, $2b$, $2y$, bcryptjs) and traditional DES (unix-crypt-td-js). yescrypt ($y$) and others
// are reported as not tried.
import bcrypt from "bcryptjs";
import md5 from "nano-md5";
import unixCryptTD from "unix-crypt-td-js";
import { verify as verifyShaCrypt } from "unixcrypt";

export interface Account {
  username: string;
  hash: string;
  line: number;
}

export type HashScheme = "md5crypt" | "sha256crypt" | "sha512crypt" | "bcrypt" | "des" | "none" | "locked" | "unsupported";

/**
 * bcrypt is slow on purpose (cost 10: about 0.1 s a try here), so it gets the first few
 * candidates only, and none above a cost where even those would take minutes.
 */
const BCRYPT_CANDIDATES = 20;
const BCRYPT_MAX_COST = 12;

export function schemeOf(hash: string): HashScheme {
  if (hash === "") return "none";
  if (/^[!*x]/.test(hash) || hash === "x") return "locked";
  if (hash.startsWith("$1$")) return "md5crypt";
  if (hash.startsWith("$5$")) return "sha256crypt";
  if (hash.startsWith("$6$")) return "sha512crypt";
  if (/^\$2[aby]\$\d\d\$[./0-9A-Za-z]{53}$/.test(hash)) return Number(hash.slice(4, 6)) <= BCRYPT_MAX_COST ? "bcrypt" : "unsupported";
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) return "des";
  return "unsupported";
}

/** Accounts of a passwd or shadow file (user:hash:…); lines that are not such are skipped. */
export function accountsIn(text: string, maxAccounts: number): Account[] {
  const accounts: Account[] = [];
  text.split("\n").forEach((raw, i) => {
    if (accounts.length >= maxAccounts) return;
    const fields = raw.replace(/\r$/, "").split(":");
    if (fields.length < 2 || !/^[A-Za-z0-9._-]{1,32}$/.test(fields[0]!) || fields[1]!.length > 256) return;
    accounts.push({ username: fields[0]!, hash: fields[1]!, line: i + 1 });
  });
  return accounts;
}

/** Whether `password` hashes to `hash` under its scheme. */
export function matches(hash: string, password: string): boolean {
  switch (schemeOf(hash)) {
    case "md5crypt": return md5.crypt(password, hash) === hash;
    case "sha256crypt":
    case "sha512crypt":
      try {
        return verifyShaCrypt(password, hash);
      } catch {
        return false;
      }
    // $2y$ (PHP's name for the fixed algorithm) is the same as $2b$
    case "bcrypt": return bcrypt.compareSync(password, hash.replace(/^\$2y\$/, "$2b$"));
    // DES crypt reads only the first 8 characters
    case "des": return unixCryptTD(password, hash.slice(0, 2)) === hash;
    default: return false;
  }
}

/** The first candidate that opens the account, if any; at most `limit` are tried (fewer for bcrypt). */
export function crack(account: Account, candidates: string[], limit: number): string | undefined {
  const tries = schemeOf(account.hash) === "bcrypt" ? Math.min(limit, BCRYPT_CANDIDATES) : limit;
  return candidates.slice(0, tries).find((p) => matches(account.hash, p));
}
