// Types for the two crypt(3) libraries that ship none.
declare module "nano-md5" {
  const md5: {
    /** md5crypt ($1$): the hash of `password` with the salt taken from `setting` (a $1$ hash or salt). */
    crypt(password: string, setting: string): string;
  };
  export default md5;
}

declare module "unix-crypt-td-js" {
  /** Traditional DES crypt(3): 13 characters, the first two the salt. */
  function unixCryptTD(password: string, salt: string): string;
  export default unixCryptTD;
}
