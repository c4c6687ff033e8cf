// A QR code as SVG path data, drawn by the `qrcode` package's encoder (ISO/IEC 18004), so the
// label can carry a link to the full report that a phone can open.
import QRCode from "qrcode";

export interface QrPath {
  /** Modules per side, without the quiet zone. */
  size: number;
  /** One "M x y h1 v1 h-1 z" square per dark module, in module units. */
  d: string;
}

export function qrPath(text: string): QrPath {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const squares: string[] = [];
  for (let y = 0; y < modules.size; y++) {
    for (let x = 0; x < modules.size; x++) if (modules.get(y, x)) squares.push(`M${x} ${y}h1v1h-1z`);
  }
  return { size: modules.size, d: squares.join("") };
}
