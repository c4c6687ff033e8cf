// The report's stylesheet, inlined so report.html stays one file that opens anywhere, offline.
import { ALL_LEVEL_LOOKS } from "./levels.js";

const levelRules = ALL_LEVEL_LOOKS.map((look) => `.lvl-${look.key}{background:${look.fill};color:${look.ink}}`).join("\n");

export const REPORT_CSS = `
:root{color-scheme:light;--ink:#1a1a1a;--muted:#5c636a;--line:#dee2e6;--soft:#f5f6f8}
*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:#fff;color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 32px 16px}
h1{font-size:1.9rem;line-height:1.2;margin:.1em 0 .2em}
h2{font-size:1.25rem;margin:2em 0 .6em;padding-bottom:.25em;border-bottom:2px solid var(--ink)}
h3{font-size:1.05rem;margin:1.4em 0 .5em}
h4{font-size:1rem;margin:0;display:inline}
p{margin:.4em 0}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.86em}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:6px 8px}
.muted{color:var(--muted)}
.top{display:flex;gap:28px;align-items:stretch;margin-bottom:12px}
.label{flex:0 0 230px;border-radius:10px;padding:18px 20px;display:flex;flex-direction:column;justify-content:center;text-align:center}
.label-caption{font-size:.8rem;letter-spacing:.12em;text-transform:uppercase;font-weight:600;opacity:.9}
.label-level{font-size:2.6rem;font-weight:800;line-height:1.1;letter-spacing:.02em;overflow-wrap:anywhere}
.label-level.long{font-size:1.5rem}
.eyebrow{margin:0;color:var(--muted);font-size:.8rem;letter-spacing:.12em;text-transform:uppercase;font-weight:600}
.reason{font-size:1.05rem}
.notice{border-radius:6px;padding:10px 14px;margin:12px 0;border:1px solid}
.notice-warn{background:#fff4e6;border-color:#e8590c}
.notice-info{background:#e7f5ff;border-color:#1c7ed6}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:14px;margin-top:18px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card h3{margin:0 0 .4em;font-size:.8rem;letter-spacing:.1em;text-transform:uppercase;color:var(--muted)}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
dl.fields dt{color:var(--muted)}
dl.fields dd{margin:0;overflow-wrap:anywhere}
.tally{display:flex;flex-wrap:wrap;gap:6px;margin:.3em 0}
table{width:100%;border-collapse:collapse;margin:.4em 0 1em;font-size:.92rem}
caption{text-align:left;color:var(--muted);padding-bottom:4px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
th{background:var(--soft);font-weight:600;border-bottom:2px solid #adb5bd}
td.num,th.num{text-align:right;white-space:nowrap}
td.id{white-space:nowrap;overflow-wrap:normal}
tr.held td{background:#fff4e6}
ul.checks{list-style:none;margin:0;padding:0}
.badge{display:inline-block;border-radius:4px;padding:1px 7px;font-size:.78rem;font-weight:700;letter-spacing:.03em;text-transform:uppercase;white-space:nowrap}
.v-pass{background:#d3f9d8;color:#1b5e20}
.v-fail{background:#c92a2a;color:#fff}
.v-inconclusive{background:#ffe8a1;color:#5c3c00}
.v-not-applicable{background:#e9ecef;color:#495057}
.v-error{background:#5f3dc4;color:#fff}
.v-other{background:#495057;color:#fff}
.sev-critical{background:#7a1020;color:#fff}
.sev-high{background:#e03131;color:#fff}
.sev-medium{background:#f08c00;color:#1a1a1a}
.sev-low{background:#1971c2;color:#fff}
.sev-info{background:#868e96;color:#fff}
.sev-other{background:#495057;color:#fff}
ul.held{padding-left:1.2em}
ul.held li{margin:.35em 0}
.finding{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:10px 14px;margin:10px 0}
.finding.edge-critical{border-left-color:#7a1020}
.finding.edge-high{border-left-color:#e03131}
.finding.edge-medium{border-left-color:#f08c00}
.finding.edge-low{border-left-color:#1971c2}
.finding.edge-info,.finding.edge-other{border-left-color:#868e96}
.finding dl.fields{margin-top:6px}
footer{max-width:1120px;margin:24px auto 32px;padding:12px 32px 0;border-top:1px solid var(--line);color:var(--muted);font-size:.85rem}
a{color:#1864ab}
${levelRules}
@page{size:A4;margin:14mm}
@media print{
body{font-size:9.5pt}
main{max-width:none;padding:0}
footer{padding:8px 0 0;margin:16px 0 0}
h2{break-after:avoid;margin-top:1.4em}
h3{break-after:avoid}
tr,.finding,.card,.notice,.top{break-inside:avoid}
a{color:inherit;text-decoration:none}
pre{background:none}
}
`;
