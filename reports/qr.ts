// A QR code as SVG path data, drawn by the `qrcode` package's encoder (ISO/IEC 18004), so the
// label can carry a link to the full report that a phone can open. The package (with its PNG
// renderer) is loaded on the first code drawn: most runs draw none, and it was a tenth of the
// command line's start-up.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export interface QrPath {
  /** Modules per side, without the quiet zone. */
  size: number;
  /** One "M x y h1 v1 h-1 z" square per dark module, in module units. */
  d: string;
}

export function qrPath(text: string): QrPath {
  const QRCode = require("qrcode") as typeof import("qrcode");
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const squares: string[] = [];
  for (let y = 0; y < modules.size; y++) {
    for (let x = 0; x < modules.size; x++) if (modules.get(y, x)) squares.push(`M${x} ${y}h1v1h-1z`);
  }
  return { size: modules.size, d: squares.join("") };
}
