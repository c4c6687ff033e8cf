// label.svg: the consumer label, read at a glance like an energy label.
import type { Report } from "../harness/core/report.js";
import { NOT_TESTED } from "../harness/grading/grade.js";
import { escapeHtml, visibleText } from "./escape.js";
import { STANDARD_LEVELS, levelLook } from "./levels.js";
import { qrPath } from "./qr.js";

const WIDTH = 320;
const MARGIN = 20;
const FONT = "Helvetica, Arial, sans-serif";
const ROW_HEIGHT = 32;
const ROW_GAP = 6;
const ARROW_TIP = 14;
const POINTER_LEFT = 196;

// No font metrics without a renderer: estimate each character's advance in em (from Helvetica's
// widths, rounded up) so long device strings can be cut before they overflow the label.
const NARROW = new Set(" .,:;'|!()[]/iljtfrI");
const BROAD = new Set("ABCDEFGHJKLNOPQRSTUVXYZ&%@mw");

function advanceEm(ch: string, bold: boolean): number {
  const code = ch.codePointAt(0) ?? 0;
  // CJK, Hangul, full-width forms and emoji take a full em.
  const wide =
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xff00 && code <= 0xff60) ||
    code >= 0x1f300;
  if (wide) return 1;
  const em = NARROW.has(ch) ? 0.3 : BROAD.has(ch) ? 0.75 : ch === "M" || ch === "W" ? 0.9 : 0.56;
  return bold ? em * 1.08 : em;
}

/** The longest prefix of s that fits in maxPx, ending in an ellipsis when cut. */
function fit(s: string, fontSize: number, maxPx: number, bold = false): string {
  const chars = Array.from(visibleText(s));
  const budget = maxPx / fontSize;
  if (chars.reduce((width, ch) => width + advanceEm(ch, bold), 0) <= budget) return chars.join("");
  let used = advanceEm("…", bold);
  let cut = 0;
  while (cut < chars.length && used + advanceEm(chars[cut]!, bold) <= budget) used += advanceEm(chars[cut++]!, bold);
  return `${chars.slice(0, cut).join("").trimEnd()}…`;
}

interface TextOptions {
  size: number;
  weight?: "bold";
  fill?: string;
  anchor?: "middle" | "end";
}

function text(x: number, y: number, content: string, o: TextOptions): string {
  const attrs = [`x="${x}"`, `y="${y}"`, `font-size="${o.size}"`];
  if (o.weight) attrs.push(`font-weight="${o.weight}"`);
  if (o.anchor) attrs.push(`text-anchor="${o.anchor}"`);
  attrs.push(`fill="${o.fill ?? "#1a1a1a"}"`);
  return `<text ${attrs.join(" ")}>${escapeHtml(content)}</text>`;
}

// The profile's own levels, best first, when the report names them (a national label's
// level-1…level-4); else the standard scale.
function scaleLevels(reached: string, profileLevels?: string[]): string[] {
  const levels: string[] = profileLevels?.length ? [...profileLevels].reverse().concat("none") : [...STANDARD_LEVELS];
  if (!levels.includes(reached) && reached !== NOT_TESTED) levels.push(reached);
  return levels;
}

const QR_BOX = 104;

/** The QR code linking to the report, with a caption; `top` is its upper edge. */
function reportLink(url: string, top: number): string {
  const qr = qrPath(url);
  // Four modules of quiet zone on each side, as the standard asks.
  const unit = QR_BOX / (qr.size + 8);
  const caption = WIDTH - MARGIN - (MARGIN + QR_BOX + 12);
  return [
    `<a href="${escapeHtml(url)}">`,
    `<rect x="${MARGIN}" y="${top}" width="${QR_BOX}" height="${QR_BOX}" fill="#ffffff"/>`,
    `<path transform="translate(${MARGIN + 4 * unit} ${top + 4 * unit}) scale(${unit})" d="${qr.d}" fill="#000000" shape-rendering="crispEdges"/>`,
    "</a>",
    text(MARGIN + QR_BOX + 12, top + 40, "Full report:", { size: 12, weight: "bold" }),
    text(MARGIN + QR_BOX + 12, top + 58, "scan the code", { size: 12 }),
    text(MARGIN + QR_BOX + 12, top + 78, fit(url.replace(/^https?:\/\//, ""), 10, caption), { size: 10, fill: "#5c636a" }),
  ].join("\n");
}

// A device the run never reached has no place on the scale: every arrow faded, stamped across.
function notTestedStamp(top: number, rows: number): string {
  const height = rows * (ROW_HEIGHT + ROW_GAP) - ROW_GAP;
  const y = top + height / 2 - 24;
  return [
    `<rect x="${MARGIN}" y="${y}" width="${WIDTH - 2 * MARGIN}" height="48" rx="4" fill="#ffffff" stroke="#1a1a1a" stroke-width="3"/>`,
    text(WIDTH / 2, y + 33, "NOT TESTED", { size: 26, weight: "bold", anchor: "middle" }),
  ].join("");
}

// One arrow per level, longer as the level gets worse; the reached one is opaque and has the
// black pointer beside it, the others are faded.
function scale(reached: string, top: number, profileLevels?: string[]): string {
  const levels = scaleLevels(reached, profileLevels);
  const arrows = levels
    .map((level, i) => {
      const look = levelLook(level);
      const y = top + i * (ROW_HEIGHT + ROW_GAP);
      const right = MARGIN + 96 + Math.min(i, 3) * 22;
      const mid = y + ROW_HEIGHT / 2;
      const arrow = `<polygon points="${MARGIN},${y} ${right - ARROW_TIP},${y} ${right},${mid} ${right - ARROW_TIP},${y + ROW_HEIGHT} ${MARGIN},${y + ROW_HEIGHT}" fill="${look.fill}"/>`;
      const name = text(MARGIN + 10, mid + 5, fit(level.toUpperCase(), 14, right - ARROW_TIP - MARGIN - 14, true), {
        size: 14,
        weight: "bold",
        fill: look.ink,
      });
      if (level !== reached) return `<g opacity="0.25">${arrow}${name}</g>`;
      const pointer = `<polygon points="${POINTER_LEFT},${mid} ${POINTER_LEFT + 16},${y - 4} ${WIDTH - MARGIN},${y - 4} ${WIDTH - MARGIN},${y + ROW_HEIGHT + 4} ${POINTER_LEFT + 16},${y + ROW_HEIGHT + 4}" fill="#1a1a1a"/>`;
      const big = text((POINTER_LEFT + 16 + WIDTH - MARGIN) / 2, mid + 7, fit(level.toUpperCase(), 20, WIDTH - MARGIN - POINTER_LEFT - 24, true), {
        size: 20,
        weight: "bold",
        fill: "#ffffff",
        anchor: "middle",
      });
      return `<g>${arrow}${name}</g>${pointer}${big}`;
    })
    .join("\n");
  return reached === NOT_TESTED ? `${arrows}\n${notTestedStamp(top, levels.length)}` : arrows;
}

function testDate(finishedAt: string): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(finishedAt)) return finishedAt.slice(0, 10);
  const time = Date.parse(finishedAt);
  return Number.isNaN(time) ? "date unknown" : new Date(time).toISOString().slice(0, 10);
}

/** The consumer label as a standalone SVG document; with a report URL, a QR code links to it. */
export function renderLabel(report: Report, opts: { reportUrl?: string } = {}): string {
  const level = report.label.level;
  const inner = WIDTH - 2 * MARGIN;
  const scaleTop = 150;
  const scaleBottom = scaleTop + scaleLevels(level, report.profile.levels).length * (ROW_HEIGHT + ROW_GAP);
  const profileTop = scaleBottom + 14;
  const linkTop = profileTop + 92;
  const height = opts.reportUrl === undefined ? profileTop + 96 : linkTop + QR_BOX + 16;
  const muted = "#5c636a";
  const parts = [
    `<rect x="1" y="1" width="${WIDTH - 2}" height="${height - 2}" rx="10" fill="#ffffff" stroke="#1a1a1a" stroke-width="2"/>`,
    `<path d="M1 57 V11 A10 10 0 0 1 11 1 H${WIDTH - 11} A10 10 0 0 1 ${WIDTH - 1} 11 V57 Z" fill="#1a1a1a"/>`,
    text(MARGIN, 38, "IoT security", { size: 24, weight: "bold", fill: "#ffffff" }),
    text(MARGIN, 86, fit(report.device.vendor, 17, inner, true), { size: 17, weight: "bold" }),
    text(MARGIN, 107, fit(report.device.model, 15, inner), { size: 15 }),
    text(MARGIN, 127, fit(`Firmware ${report.device.firmware}`, 12, inner), { size: 12, fill: muted }),
    `<line x1="${MARGIN}" y1="138" x2="${WIDTH - MARGIN}" y2="138" stroke="#dee2e6"/>`,
    scale(level, scaleTop, report.profile.levels),
    `<line x1="${MARGIN}" y1="${profileTop - 8}" x2="${WIDTH - MARGIN}" y2="${profileTop - 8}" stroke="#dee2e6"/>`,
    text(MARGIN, profileTop + 10, "PROFILE", { size: 10, weight: "bold", fill: muted }),
    text(MARGIN, profileTop + 28, fit(report.profile.title, 13, inner), { size: 13 }),
  ];
  if (level === NOT_TESTED) {
    parts.push(text(MARGIN, profileTop + 50, `Device not reached ${testDate(report.finishedAt)}`, { size: 12, weight: "bold", fill: "#c92a2a" }));
  } else {
    parts.push(text(MARGIN, profileTop + 50, `Tested ${testDate(report.finishedAt)}`, { size: 12 }));
    if (!report.complete) {
      parts.push(text(WIDTH - MARGIN, profileTop + 50, "incomplete run", { size: 12, weight: "bold", fill: "#c92a2a", anchor: "end" }));
    }
  }
  parts.push(text(MARGIN, profileTop + 76, fit(`Graded by iotcert ${report.harness.version}`, 10, inner), { size: 10, fill: muted }));
  if (opts.reportUrl !== undefined) parts.push(reportLink(opts.reportUrl, linkTop));
  const title = `IoT security label: ${level === NOT_TESTED ? "NOT TESTED" : level.toUpperCase()}, ${report.device.vendor} ${report.device.model}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" role="img" aria-labelledby="label-title">
<title id="label-title">${escapeHtml(fit(title, 1, 120))}</title>
${parts.join("\n")}
</svg>
`;
}
