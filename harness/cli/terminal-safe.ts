// Device strings reach the terminal only without control characters (no escape sequences from a
// hostile banner), and bounded.
export function terminalSafe(s: string, max = 300): string {
  const clean = s.replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
