// What a command writes to, and the error that means "bad input: exit 2".
export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Where answers come from (iotcert attest); process.stdin from the command line. */
  in?: NodeJS.ReadableStream;
}

export class BadInput extends Error {
  override readonly name = "BadInput";
}
