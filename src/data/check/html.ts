import type { CheckReport } from './check.js';
import type { Chart } from './drift.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (x: number | null): string => (x === null ? '—' : Math.abs(x) < 1e-4 && x !== 0 ? x.toExponential(2) : x.toFixed(4));
const MAX_ROWS_SHOWN = 500;

/** Reference and current shares side by side, as an inline SVG (no script, no external resource). */
function chartSvg(c: Chart): string {
  const w = 18;
  const h = 120;
  const max = Math.max(1e-9, ...c.ref, ...c.cur);
  const bars = c.labels
    .map((label, i) => {
      const x = i * (2 * w + 6);
      const rh = (c.ref[i]! / max) * h;
      const ch = (c.cur[i]! / max) * h;
      return `<g><title>${esc(label)}: reference ${(100 * c.ref[i]!).toFixed(1)}%, current ${(100 * c.cur[i]!).toFixed(1)}%</title><rect x="${x}" y="${h - rh}" width="${w}" height="${rh}" fill="#7a9cc6"/><rect x="${x + w}" y="${h - ch}" width="${w}" height="${ch}" fill="#d9822b"/><text x="${x}" y="${h + 12}" font-size="9">${esc(label.slice(0, 8))}</text></g>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${c.labels.length * (2 * w + 6)}" height="${h + 16}" role="img">${bars}</svg>`;
}

/** A self-contained page a person can read: verdict, schema changes, drifted columns with charts, flagged rows, triggers. */
export function renderHtml(r: CheckReport, names: { reference: string; current: string }): string {
  const drifted = r.drift.filter((d) => d.severity !== 'none');
  const parts = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>palisade data check: ${esc(r.verdict)}</title>`,
    '<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}.v{font-size:1.6em;font-weight:bold}.key span{display:inline-block;width:1em;height:1em;margin:0 .3em}</style></head><body>',
    `<h1>palisade data check</h1><p class="v">verdict: ${esc(r.verdict)}</p>`,
    `<p>reference <code>${esc(names.reference)}</code> (${r.summary.referenceRows} rows) · current <code>${esc(names.current)}</code> (${r.summary.currentRows} rows)</p>`,
    `<h2>Schema (${r.schema.length})</h2>`,
    r.schema.length === 0 ? '<p>No schema changes.</p>' : `<table><tr><th>column</th><th>change</th><th>detail</th></tr>${r.schema.map((s) => `<tr><td>${esc(s.column)}</td><td>${esc(s.change)}</td><td>${esc(s.detail)}</td></tr>`).join('')}</table>`,
    `<h2>Drift (${drifted.length} of ${r.drift.length} tests significant)</h2>`,
    `<table><tr><th>column</th><th>test</th><th>statistic</th><th>p-value</th><th>adjusted</th><th>effect</th><th>severity</th></tr>${r.drift.map((d) => `<tr><td>${esc(d.column)}</td><td>${esc(d.test)}</td><td>${num(d.statistic)}</td><td>${num(d.pValue)}</td><td>${num(d.qValue)}</td><td>${num(d.effect)}</td><td>${esc(d.severity)}</td></tr>`).join('')}</table>`,
    '<p class="key"><span style="background:#7a9cc6"></span>reference <span style="background:#d9822b"></span>current</p>',
    ...drifted.map((d) => `<h3>${esc(d.column)} — ${esc(d.test)}, ${esc(d.severity)}</h3>${chartSvg(d.chart)}`),
    `<h2>Flagged rows (${r.rows.length})</h2>`,
    r.rows.length === 0 ? '<p>No row passes the alarm threshold.</p>' : `<table><tr><th>row</th><th>score</th><th>reasons</th></tr>${r.rows.slice(0, MAX_ROWS_SHOWN).map((x) => `<tr><td>${x.row}</td><td>${x.score.toFixed(3)}</td><td>${x.reasons.map(esc).join('<br>')}</td></tr>`).join('')}</table>${r.rows.length > MAX_ROWS_SHOWN ? `<p>… and ${r.rows.length - MAX_ROWS_SHOWN} more (see --json).</p>` : ''}`,
    `<h2>Backdoor triggers (${r.triggers.length})</h2>`,
    r.triggers.length === 0 ? '<p>None found.</p>' : `<table><tr><th>trigger</th><th>label</th><th>rows</th></tr>${r.triggers.map((t) => `<tr><td><code>${esc(t.text)}</code></td><td>${esc(t.label)}</td><td>${t.rows.length}: ${t.rows.slice(0, 50).join(', ')}${t.rows.length > 50 ? ', …' : ''}</td></tr>`).join('')}</table>`,
    '</body></html>\n',
  ];
  return parts.join('\n');
}
