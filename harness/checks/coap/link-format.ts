// RFC 6690 CoRE Link Format, as a device's /.well-known/core gives it: `</a>;rt="x";ct=0,</b>`.
// Device text is hostile: the parser reads at most MAX_INPUT bytes, keeps at most MAX_LINKS links
// of MAX_PARAMS parameters each, cuts long values, never throws, and on broken syntax skips to
// the next link and says what it skipped.

export interface Link {
  /** The URI-Reference between < and >, usually a path like "/sensors/temp". */
  target: string;
  /** Parameter names in lower case; a parameter without a value is true. */
  params: Record<string, string | true>;
}

export interface LinkFormat {
  links: Link[];
  /** What could not be read, one line each (bounded). */
  errors: string[];
  /** The input or the link list was longer than the parser reads. */
  truncated: boolean;
}

export const MAX_INPUT = 16 * 1024;
const MAX_LINKS = 256;
const MAX_PARAMS = 32;
const MAX_TARGET = 512;
const MAX_VALUE = 256;
const MAX_ERRORS = 16;

export function parseLinkFormat(input: Buffer | string): LinkFormat {
  const raw = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  let truncated = raw.length > MAX_INPUT;
  const text = raw.subarray(0, MAX_INPUT).toString("utf8");
  const links: Link[] = [];
  const errors: string[] = [];
  const error = (msg: string) => {
    if (errors.length < MAX_ERRORS) errors.push(msg);
  };
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  /** After an error: to the next comma outside quotes and brackets, past it. */
  const skipLink = () => {
    let quoted = false;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quoted) {
        if (c === "\\") i++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === ",") {
        i++;
        return;
      }
    }
  };

  while (i < text.length) {
    skipSpace();
    if (i >= text.length) break;
    if (links.length >= MAX_LINKS) {
      truncated = true;
      break;
    }
    const at = i;
    if (text[i] !== "<") {
      error(`offset ${at}: a link must start with "<"`);
      skipLink();
      continue;
    }
    const close = text.indexOf(">", i + 1);
    if (close < 0) {
      error(`offset ${at}: "<" without ">"`);
      break;
    }
    const target = text.slice(i + 1, close);
    i = close + 1;
    const params: Record<string, string | true> = {};
    let count = 0;
    let broken = false;
    for (;;) {
      skipSpace();
      if (i >= text.length || text[i] === ",") {
        i++;
        break;
      }
      if (text[i] !== ";") {
        error(`offset ${i}: expected ";" or "," after a link`);
        broken = true;
        break;
      }
      i++;
      skipSpace();
      const name = /^[A-Za-z0-9!#$&+\-.^_`|~*]+/.exec(text.slice(i, i + 64))?.[0];
      if (!name) {
        error(`offset ${i}: a parameter without a name`);
        broken = true;
        break;
      }
      i += name.length;
      skipSpace();
      let value: string | true = true;
      if (text[i] === "=") {
        i++;
        skipSpace();
        if (text[i] === '"') {
          let v = "";
          let j = i + 1;
          for (; j < text.length && text[j] !== '"'; j++) {
            if (text[j] === "\\") j++;
            if (v.length < MAX_VALUE) v += text[j] ?? "";
          }
          if (j >= text.length) {
            error(`offset ${i}: a quoted value without its closing quote`);
            i = text.length;
            broken = true;
            break;
          }
          value = v;
          i = j + 1;
        } else {
          const token = /^[^,;\s]*/.exec(text.slice(i))![0];
          value = token.slice(0, MAX_VALUE);
          i += token.length;
        }
      }
      if (count < MAX_PARAMS) {
        const key = name.toLowerCase();
        // Own properties only: a device naming a parameter "__proto__" must not reach the prototype
        Object.defineProperty(params, key, { value, enumerable: true, writable: true, configurable: true });
        count++;
      }
    }
    if (target.length > MAX_TARGET) error(`offset ${at}: a target longer than ${MAX_TARGET} characters, cut`);
    links.push({ target: target.slice(0, MAX_TARGET), params });
    if (broken) skipLink();
  }
  return { links, errors, truncated };
}
