// Every string in a report may come from a hostile device or descriptor. This turns any string
// into text that is safe inside HTML and XML (SVG) element content and quoted attribute values.

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

// Characters that would make the markup invalid (XML 1.0 forbids C0 controls other than tab,
// LF and CR, lone surrogates and U+FFFE/U+FFFF) or mislead the reader (C1 controls, and bidi
// overrides that can visually reorder the text around them, "Trojan Source" style). They are
// shown as escape sequences so the reader still sees that the device sent them.
const UNSAFE_TEXT =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function showUnsafe(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return "\ufffd";
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Replace characters that cannot or should not be shown as they are; no markup escaping. */
export function visibleText(s: string): string {
  return s.replace(UNSAFE_TEXT, showUnsafe);
}

/** Text safe to place in HTML or XML content and in double- or single-quoted attributes. */
export function escapeHtml(s: string): string {
  return visibleText(s).replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}
