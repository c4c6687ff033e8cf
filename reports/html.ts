// report.html: the report as one self-contained page a lab can hand to a manufacturer. Every
// string from the device, the descriptor or the profile goes through escapeHtml; class names
// come from fixed tables, never from the report.
import type { CheckResult, ProvisionResult, Report } from "../harness/core/report.js";
import type { Finding, Target } from "../harness/core/types.js";
import { NO_LABEL, NOT_TESTED } from "../harness/grading/grade.js";
import { escapeHtml as e } from "./escape.js";
import { REPORT_CSS } from "./html-style.js";
import { levelLook } from "./levels.js";

const VERDICTS = new Set(["pass", "fail", "inconclusive", "not-applicable", "error"]);
const SEVERITIES = ["critical", "high", "medium", "low", "info"];

function verdictBadge(verdict: string): string {
  return `<span class="badge v-${VERDICTS.has(verdict) ? verdict : "other"}">${e(verdict)}</span>`;
}

function severityKey(severity: string): string {
  return SEVERITIES.includes(severity) ? severity : "other";
}

function severityBadge(severity: string): string {
  return `<span class="badge sev-${severityKey(severity)}">${e(severity)}</span>`;
}

// Numbers too: a report read back from a tampered report.json may carry a string where the type
// says number.
function num(n: number): string {
  return e(String(n));
}

function levelName(level: string): string {
  return level === NO_LABEL ? "Not certifiable" : level === NOT_TESTED ? "Not tested" : level;
}

function levelBadge(level: string): string {
  return `<span class="badge lvl-${levelLook(level).key}">${e(levelName(level))}</span>`;
}

function time(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return e(iso);
  return `<time datetime="${e(iso)}">${new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")}</time>`;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function fields(rows: [string, string | undefined][]): string {
  const shown = rows.filter((row): row is [string, string] => row[1] !== undefined);
  return `<dl class="fields">${shown.map(([name, html]) => `<dt>${name}</dt><dd>${html}</dd>`).join("")}</dl>`;
}

function tally(values: string[], order: string[], badge: (value: string) => string): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const keys = [...counts.keys()].sort((a, b) => rank(order, a) - rank(order, b));
  if (keys.length === 0) return `<span class="muted">none</span>`;
  return `<span class="tally">${keys.map((key) => `${badge(key)} ${counts.get(key)}`).join(" ")}</span>`;
}

function rank(order: string[], value: string): number {
  const i = order.indexOf(value);
  return i === -1 ? order.length : i;
}

// Anchors are positions, not ids from the report, so a hostile id cannot shape the markup; links
// to an id that appears twice go to its first row.
function firstPositions(ids: string[], prefix: string): Map<string, string> {
  const anchors = new Map<string, string>();
  ids.forEach((id, i) => {
    if (!anchors.has(id)) anchors.set(id, `${prefix}-${i + 1}`);
  });
  return anchors;
}

function anchors(report: Report): { provision: Map<string, string>; check: Map<string, string> } {
  return {
    provision: firstPositions(report.provisions.map((p) => p.id), "provision"),
    check: firstPositions(report.checks.map((c) => c.id), "check"),
  };
}

type Anchors = ReturnType<typeof anchors>;

function link(anchor: string | undefined, html: string): string {
  return anchor ? `<a href="#${anchor}">${html}</a>` : html;
}

function header(report: Report): string {
  const { device, profile, label } = report;
  const level = levelName(label.level).toUpperCase();
  return `<header class="top">
<div class="label lvl-${levelLook(label.level).key}">
<span class="label-caption">IoT security label</span>
<span class="label-level${level.length > 8 ? " long" : ""}">${e(level)}</span>
</div>
<div>
<p class="eyebrow">iotcert certification report</p>
<h1>${e(device.vendor)} ${e(device.model)}</h1>
<p>Firmware <strong>${e(device.firmware)}</strong> · graded against <strong>${e(profile.title)}</strong> <span class="muted">(${e(profile.id)})</span></p>
<p class="reason">${e(label.reason)}</p>
</div>
</header>`;
}

function notices(report: Report): string {
  const out: string[] = [];
  if (report.label.level === NOT_TESTED) {
    out.push(
      `<div class="notice notice-warn" role="alert"><strong>Not tested.</strong> ${e(report.incompleteReason ?? report.label.reason)}. ` +
        `Nothing was observed on the device, so this report grades nothing and is not a certification.</div>`,
    );
  } else if (!report.complete) {
    const why = report.incompleteReason ? `: ${e(report.incompleteReason)}` : "";
    out.push(
      `<div class="notice notice-warn" role="alert"><strong>Incomplete run.</strong> The run stopped before every check had finished${why}. ` +
        `The label reflects only what was observed before it stopped.</div>`,
    );
  }
  if (report.redacted) {
    out.push(
      `<div class="notice notice-info"><strong>Redacted.</strong> Secrets found on the device (passwords, keys, tokens, communities) are shown as <code>[redacted]</code>.</div>`,
    );
  }
  return out.join("\n");
}

function summary(report: Report): string {
  const { device, profile, harness } = report;
  const runMs = Date.parse(report.finishedAt) - Date.parse(report.startedAt);
  return `<section class="cards" aria-label="Summary">
<div class="card"><h3>Device</h3>${fields([
    ["Vendor", e(device.vendor)],
    ["Model", e(device.model)],
    ["Firmware", e(device.firmware)],
    ["Unit id", `<code>${e(device.id)}</code>`],
    ["Address", device.address === undefined ? undefined : `<code>${e(device.address)}</code>`],
  ])}</div>
<div class="card"><h3>Profile and run</h3>${fields([
    ["Profile", `${e(profile.title)} <span class="muted">(<code>${e(profile.id)}</code>)</span>`],
    ["Started", time(report.startedAt)],
    ["Finished", time(report.finishedAt)],
    ["Duration", duration(runMs)],
    ["Pace", e(report.pace)],
    ["Harness", `${e(harness.name)} ${e(harness.version)}`],
  ])}</div>
<div class="card"><h3>Results</h3>${fields([
    ["Provisions", tally(report.provisions.map((p) => p.verdict), [...VERDICTS], verdictBadge)],
    ["Checks", tally(report.checks.map((c) => c.verdict), [...VERDICTS], verdictBadge)],
    ["Findings", tally(report.findings.map((f) => f.severity), SEVERITIES, severityBadge)],
  ])}</div>
</section>`;
}

function heldBy(report: Report, to: Anchors): string {
  const byId = new Map(report.provisions.map((p) => [p.id, p]));
  const items = report.label.heldBy.map((id) => {
    const p = byId.get(id);
    if (!p) return `<li><code>${e(id)}</code></li>`;
    return `<li>${link(to.provision.get(id), `<code>${e(id)}</code>`)} ${e(p.title)} ${verdictBadge(p.verdict)} <span class="muted">level ${e(p.level)}</span><br>${e(p.reason)}</li>`;
  });
  const body = items.length ? `<ul class="held">${items.join("\n")}</ul>` : `<p>No provision held the label down.</p>`;
  return `<section><h2>Held by</h2>
<p class="muted">The provisions that kept the label from reaching a higher level.</p>
${body}</section>`;
}

function provisionRow(p: ProvisionResult, position: number, held: Set<string>, to: Anchors): string {
  const checks = p.checks.length
    ? `<ul class="checks">${p.checks.map((id) => `<li>${link(to.check.get(id), `<code>${e(id)}</code>`)}</li>`).join("")}</ul>`
    : `<span class="muted">—</span>`;
  return `<tr id="provision-${position}"${held.has(p.id) ? ' class="held"' : ""}><td class="id"><code>${e(p.id)}</code></td><td>${e(p.title)}</td><td>${levelBadge(p.level)}</td><td>${verdictBadge(p.verdict)}</td><td>${checks}</td><td>${e(p.reason)}</td></tr>`;
}

function provisions(report: Report, to: Anchors): string {
  const held = new Set(report.label.heldBy);
  const rows = report.provisions.map((p, i) => provisionRow(p, i + 1, held, to)).join("\n");
  return `<section><h2>Provisions</h2>
<table><thead><tr><th>Id</th><th>Provision</th><th>Level</th><th>Verdict</th><th>Checks</th><th>Reason</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

function checkRow(c: CheckResult, position: number): string {
  return `<tr id="check-${position}"><td><code>${e(c.id)}</code><br><span class="muted">${e(c.title)}</span></td><td>${verdictBadge(c.verdict)}</td><td>${e(c.summary)}</td><td class="num">${duration(c.durationMs)}</td></tr>`;
}

function checks(report: Report): string {
  const body = report.checks.length
    ? `<table><thead><tr><th>Check</th><th>Verdict</th><th>Summary</th><th class="num">Duration</th></tr></thead>
<tbody>${report.checks.map((c, i) => checkRow(c, i + 1)).join("\n")}</tbody></table>`
    : `<p class="muted">No checks ran.</p>`;
  return `<section><h2>Checks</h2>${body}</section>`;
}

function target(t: Target): string {
  const where = t.address === undefined ? (t.port === undefined ? "" : `port ${t.port}`) : t.port === undefined ? t.address : `${t.address}:${t.port}`;
  return [t.transport, where, t.service].filter((part) => part !== undefined && part !== "").map((part) => e(String(part))).join(" · ");
}

function evidenceValue(value: unknown): string {
  if (typeof value === "string") return `<span class="mono">${e(value)}</span>`;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return e(String(value));
  return `<pre>${e(JSON.stringify(value, null, 2) ?? String(value))}</pre>`;
}

function finding(f: Finding, to: Anchors): string {
  const rows: [string, string | undefined][] = [
    ["Check", link(to.check.get(f.check), `<code>${e(f.check)}</code>`)],
    ["Target", f.target ? target(f.target) : undefined],
  ];
  for (const [key, value] of Object.entries(f.evidence ?? {})) rows.push([e(key), evidenceValue(value)]);
  return `<article class="finding edge-${severityKey(f.severity)}">${severityBadge(f.severity)} <h4>${e(f.title)}</h4>${fields(rows)}</article>`;
}

function findings(report: Report, to: Anchors): string {
  const groups = new Map<string, Finding[]>();
  for (const f of [...report.findings].sort((a, b) => rank(SEVERITIES, a.severity) - rank(SEVERITIES, b.severity))) {
    groups.set(f.severity, [...(groups.get(f.severity) ?? []), f]);
  }
  const body = [...groups]
    .map(([severity, list]) => `<h3>${e(capitalize(severity))} (${list.length})</h3>\n${list.map((f) => finding(f, to)).join("\n")}`)
    .join("\n");
  return `<section><h2>Findings</h2>${body || `<p class="muted">No findings.</p>`}</section>`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function certificates(report: Report): string {
  const certs = report.surface.certificates;
  if (!certs) return "";
  const rows = certs
    .map((c) => `<tr><td class="num">${num(c.port)}</td><td>${e(c.subject)}</td><td>${e(c.selfSigned ? "self-signed" : c.issuer)}</td><td>${e(c.notAfter.slice(0, 10))}</td><td>${e(`${c.keyType} ${c.keyBits}`)}</td><td>${e(c.subjectAltNames.join(", "))}</td><td><code>${e(c.sha256.slice(0, 16))}…</code></td></tr>`)
    .join("\n");
  return `<h3>TLS certificates</h3>${certs.length ? `<table><thead><tr><th class="num">Port</th><th>Subject</th><th>Issuer</th><th>Valid until</th><th>Key</th><th>Names</th><th>SHA-256</th></tr></thead><tbody>${rows}</tbody></table>` : `<p class="muted">No TLS service presented a certificate.</p>`}`;
}

function surface(report: Report): string {
  const { tcp, udp } = report.surface;
  const tcpRows = tcp
    .map((p) => `<tr><td class="num">${num(p.port)}</td><td>${e(p.service ?? "")}</td><td>${p.tls === undefined ? "" : p.tls ? "yes" : "no"}</td><td>${e(p.product ?? "")}</td><td>${p.banner ? `<pre>${e(p.banner)}</pre>` : ""}</td></tr>`)
    .join("\n");
  const udpRows = udp.map((p) => `<tr><td class="num">${num(p.port)}</td><td>${e(p.service ?? "")}</td><td>${e(p.product ?? "")}</td></tr>`).join("\n");
  return `<section><h2>Attack surface</h2>
<h3>TCP</h3>${tcp.length ? `<table><thead><tr><th class="num">Port</th><th>Service</th><th>TLS</th><th>Product</th><th>Banner</th></tr></thead><tbody>${tcpRows}</tbody></table>` : `<p class="muted">No open TCP port recorded.</p>`}
<h3>UDP</h3>${udp.length ? `<table><thead><tr><th class="num">Port</th><th>Service</th><th>Product</th></tr></thead><tbody>${udpRows}</tbody></table>` : `<p class="muted">No UDP service recorded.</p>`}
${certificates(report)}
</section>`;
}

function probes(report: Report): string {
  const total = report.probes.reduce((sum, p) => sum + p.count, 0);
  const rows = report.probes
    .map((p) => `<tr><td><code>${e(p.check)}</code></td><td><code>${e(p.address)}</code></td><td class="num">${e(p.ports)}</td><td>${e(p.protocol)}</td><td class="num">${num(p.count)}</td></tr>`)
    .join("\n");
  return `<section><h2>Probes sent</h2>
${report.probes.length ? `<table><caption>${num(total)} probes in all, so another lab can repeat the run.</caption><thead><tr><th>Check</th><th>Address</th><th class="num">Ports</th><th>Protocol</th><th class="num">Count</th></tr></thead><tbody>${rows}</tbody></table>` : `<p class="muted">No probe was sent.</p>`}
</section>`;
}

/** The report as one self-contained HTML page (inline CSS, no scripts, no external resources). */
export function renderHtml(report: Report): string {
  const to = anchors(report);
  const title = `${report.device.vendor} ${report.device.model}: ${levelName(report.label.level)} — iotcert report`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${header(report)}
${notices(report)}
${summary(report)}
${heldBy(report, to)}
${provisions(report, to)}
${findings(report, to)}
${checks(report)}
${surface(report)}
${probes(report)}
</main>
<footer>Generated by ${e(report.harness.name)} ${e(report.harness.version)} · schema <code>${e(report.schema)}</code>. This page is a view of report.json, which is the authoritative record${report.redacted ? " (redacted)" : ""}.</footer>
</body>
</html>
`;
}
