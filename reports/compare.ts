// The consumer organisation's view: many devices side by side (compare.html, sortable by any
// column, each device's label shown) and the same table as compare.csv. Every string from a
// report is escaped; labels are embedded as data: images, which cannot run script, so the page
// stays one self-contained file whose only script is the sorter, allowed by its hash.
import { createHash } from "node:crypto";
import type { Report } from "../harness/core/report.js";
import { NO_LABEL, NOT_TESTED } from "../harness/grading/grade.js";
import { escapeHtml as e, visibleText } from "./escape.js";
import { levelLook } from "./levels.js";

export interface CompareEntry {
  report: Report;
  /** label.svg of the device, as rendered for this page (with its QR code when published). */
  labelSvg: string;
  /** Where its report is published, when known. */
  reportUrl?: string;
}

interface Column {
  id: string;
  title: string;
}

/** The provisions of all reports, in the order they first appear (reports may use other profiles). */
function provisionColumns(entries: CompareEntry[]): Column[] {
  const columns = new Map<string, string>();
  for (const { report } of entries) for (const p of report.provisions) if (!columns.has(p.id)) columns.set(p.id, p.title);
  return [...columns].map(([id, title]) => ({ id, title }));
}

const GLYPH: Record<string, string> = { pass: "✓", fail: "✗", inconclusive: "?", error: "!", "not-applicable": "–" };
const VERDICT_ORDER = ["fail", "error", "inconclusive", "not-applicable", "pass"];

/** A label's place on its profile's scale, for sorting: not tested 0, none 1, then the levels from lowest. */
function labelRank(report: Report): number {
  const levels = report.profile.levels ?? ["low", "medium", "high"];
  return Math.max(0, [NOT_TESTED, NO_LABEL, ...levels].indexOf(report.label.level));
}

// Sorts the table by the clicked column, using each cell's data-sort; numbers numerically.
const SORTER = `for (const th of document.querySelectorAll("th[data-col]")) {
  th.addEventListener("click", () => {
    const table = th.closest("table"), body = table.tBodies[0], col = Number(th.dataset.col);
    const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    for (const other of table.querySelectorAll("th[aria-sort]")) other.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    const key = (row) => row.cells[col].dataset.sort;
    const rows = [...body.rows].sort((a, b) => {
      const x = key(a), y = key(b), nx = Number(x), ny = Number(y);
      return dir * (Number.isNaN(nx) || Number.isNaN(ny) ? x.localeCompare(y) : nx - ny);
    });
    body.append(...rows);
  });
}`;

const SORTER_HASH = createHash("sha256").update(SORTER).digest("base64");

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1a1a1a}
h1{font-size:22px;margin:0 0 4px}p.sub{color:#5c636a;margin:0 0 16px}
.wrap{overflow-x:auto}table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #dee2e6;padding:4px 6px;text-align:left;vertical-align:middle}
th{background:#f1f3f5;position:sticky;top:0}th[data-col]{cursor:pointer}th[data-col]:hover{background:#e2e6ea}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.v{text-align:center;font-weight:bold;width:2.2em}.v-pass{color:#237032}.v-fail{color:#c92a2a;background:#fff0f0}
.v-inconclusive,.v-error{color:#9c6500;background:#fff8e1}.v-not-applicable{color:#868e96}
img.label{width:150px;display:block}.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-weight:bold}
th.p{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:normal;font-size:12px}`;

function levelBadge(level: string): string {
  const look = levelLook(level);
  return `<span class="badge" style="background:${look.fill};color:${look.ink}">${e(level === NOT_TESTED ? "NOT TESTED" : level.toUpperCase())}</span>`;
}

export function renderCompareHtml(entries: CompareEntry[], generatedAt = new Date()): string {
  const provisions = provisionColumns(entries);
  const fixed = ["Label", "Level", "Vendor", "Model", "Firmware", "Device", "Profile", "Tested"];
  const head = [
    ...fixed.map((name, i) => (i === 0 ? `<th>${name}</th>` : `<th data-col="${i}" scope="col">${name}</th>`)),
    ...provisions.map((p, i) => `<th class="p" data-col="${fixed.length + i}" scope="col" title="${e(p.title)}">${e(p.id)}</th>`),
  ].join("");
  const rows = entries.map(({ report, labelSvg, reportUrl }, n) => {
    const d = report.device;
    const img = `<img class="label" alt="${e(`label ${report.label.level} for ${d.vendor} ${d.model}`)}" src="data:image/svg+xml;base64,${Buffer.from(labelSvg).toString("base64")}">`;
    const verdicts = new Map(report.provisions.map((p) => [p.id, p]));
    const cells = [
      `<td data-sort="${n}">${reportUrl ? `<a href="${e(reportUrl)}">${img}</a>` : img}</td>`,
      `<td data-sort="${labelRank(report)}">${levelBadge(report.label.level)}${report.complete ? "" : " (incomplete)"}</td>`,
      ...[d.vendor, d.model, d.firmware, d.id, report.profile.id].map((s) => `<td data-sort="${e(s)}">${e(s)}</td>`),
      `<td data-sort="${e(report.finishedAt)}">${e(report.finishedAt.slice(0, 10))}</td>`,
      ...provisions.map((p) => {
        const r = verdicts.get(p.id);
        if (!r) return `<td class="v" data-sort="9">&nbsp;</td>`;
        const known = r.verdict in GLYPH;
        return `<td class="v v-${known ? r.verdict : "other"}" data-sort="${VERDICT_ORDER.indexOf(r.verdict)}" title="${e(`${p.id} ${r.verdict}: ${r.reason}`)}">${e(GLYPH[r.verdict] ?? r.verdict)}</td>`;
      }),
    ];
    return `<tr>${cells.join("")}</tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${SORTER_HASH}'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>IoT security labels compared (${entries.length} devices)</title>
<style>${CSS}</style>
</head>
<body>
<h1>IoT security labels compared</h1>
<p class="sub">${entries.length} devices · click a column to sort · ✓ pass ✗ fail ? inconclusive – not applicable · generated ${e(generatedAt.toISOString().slice(0, 10))} by iotcert</p>
<div class="wrap"><table id="compare">
<thead><tr>${head}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table></div>
<script>${SORTER}</script>
</body>
</html>
`;
}

// RFC 4180 fields; a leading =, +, - or @ is prefixed with ' so a spreadsheet shows device text
// instead of running it as a formula (CSV injection).
function csvField(value: string): string {
  const text = visibleText(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function renderCompareCsv(entries: CompareEntry[]): string {
  const provisions = provisionColumns(entries);
  const header = ["device", "vendor", "model", "firmware", "profile", "label", "complete", "held_by", "tested", ...provisions.map((p) => p.id)];
  const lines = entries.map(({ report }) => {
    const d = report.device;
    const verdicts = new Map(report.provisions.map((p) => [p.id, p.verdict]));
    return [d.id, d.vendor, d.model, d.firmware, report.profile.id, report.label.level, String(report.complete), report.label.heldBy.join(" "), report.finishedAt, ...provisions.map((p) => verdicts.get(p.id) ?? "")];
  });
  return [header, ...lines].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}
