// The credential lists of harness/data/credentials, read and checked. They are CSV (RFC 4180
// quoting), which no JSON Schema describes, so the rules are here: a header naming the username
// and password columns, every row as many columns as the header, no pair twice, whole numbers in
// `vendors`. An empty user name and password is a pair a list may mean (`,` or `,,82`); a blank
// line would read as that pair too, so it is refused.
import type { Issue } from "./load.js";

export interface CredentialPair {
  username: string;
  password: string;
}

interface Field {
  text: string;
  line: number;
  col: number;
}

const COLUMN = /^[a-z][a-z0-9-]*$/;
const WHOLE_NUMBER = /^[1-9][0-9]*$/;

/** The pairs of a list, and what is wrong with it (nothing when `issues` is empty). */
export function readCredentialList(file: string, text: string): { pairs: CredentialPair[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const issue = (at: { line: number; col: number }, path: string, message: string) => issues.push({ file, line: at.line, col: at.col, path, message });
  const { rows, unclosedQuote } = parseCsv(text);
  if (unclosedQuote) issue(unclosedQuote, "", "a quote opened here is never closed: the rest of the file would be one field");

  const [header = [], ...body] = rows;
  const columns = header.map((f) => f.text);
  const user = columns.indexOf("username");
  const pass = columns.indexOf("password");
  if (user < 0 || pass < 0) issue({ line: 1, col: 1 }, "header", `expected a header naming the username and password columns, got ${JSON.stringify(columns.join(","))}`);
  header.forEach((f, i) => {
    if (!COLUMN.test(f.text)) issue(f, "header", `expected a column name in lower case (like "vendors"), got ${JSON.stringify(f.text)}`);
    else if (columns.indexOf(f.text) !== i) issue(f, "header", `column ${JSON.stringify(f.text)} is named twice`);
  });
  const vendors = columns.indexOf("vendors");

  const pairs: CredentialPair[] = [];
  const firstLine = new Map<string, number>();
  for (const row of body) {
    const start = row[0]!;
    if (row.length !== columns.length) {
      issue(
        start,
        "",
        row.length === 1 && start.text === ""
          ? 'a blank line, which would be read as an empty user name and password: remove it, or write "," for that pair'
          : `${row.length} columns, but the header has ${columns.length}`,
      );
      continue;
    }
    if (vendors >= 0 && !WHOLE_NUMBER.test(row[vendors]!.text)) {
      issue(row[vendors]!, "vendors", `expected the number of vendors that list the pair, got ${JSON.stringify(row[vendors]!.text)}`);
    }
    if (user < 0 || pass < 0) continue;
    const pair = { username: row[user]!.text, password: row[pass]!.text };
    const key = `${pair.username}\u0000${pair.password}`;
    const first = firstLine.get(key);
    if (first !== undefined) issue(start, "", `${JSON.stringify(`${pair.username},${pair.password}`)} is listed twice (also line ${first})`);
    else firstLine.set(key, start.line);
    pairs.push(pair);
  }
  return { pairs, issues: issues.sort((a, b) => a.line - b.line || a.col - b.col) };
}

/** Rows of fields with where each starts; a quote left open runs to the end of the text. */
function parseCsv(text: string): { rows: Field[][]; unclosedQuote?: { line: number; col: number } } {
  const rows: Field[][] = [];
  let row: Field[] = [];
  let line = 1;
  let lineStart = 0;
  let field: Field = { text: "", line: 1, col: 1 };
  let quote: { line: number; col: number } | undefined;
  const next = (i: number) => ({ text: "", line, col: i + 1 - lineStart + 1 });
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\n") [line, lineStart] = [line + 1, i + 1];
      if (c !== '"') field.text += c;
      else if (text[i + 1] === '"') field.text += text[++i];
      else quote = undefined;
    } else if (c === '"') {
      quote = { line, col: i - lineStart + 1 };
    } else if (c === ",") {
      row.push(field);
      field = next(i);
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      rows.push([...row, field]);
      row = [];
      [line, lineStart] = [line + 1, i + 1];
      field = { text: "", line, col: 1 };
    } else {
      field.text += c;
    }
  }
  if (field.text || row.length) rows.push([...row, field]);
  return quote ? { rows, unclosedQuote: quote } : { rows };
}
