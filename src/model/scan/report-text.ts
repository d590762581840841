import type { ScanReport } from './types.js';

const MARK: Record<string, string> = { safe: 'ok', suspicious: 'SUSPICIOUS', unsafe: 'UNSAFE', error: 'ERROR' };

/** Human-readable report: one line per file, findings indented under it, then a summary line. */
export function formatText(report: ScanReport, opts: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  for (const f of report.files) {
    if (f.verdict === 'safe' && f.findings.length === 0 && !opts.verbose) continue;
    out.push(`${MARK[f.verdict]!.padEnd(10)} ${f.path}  [${f.format}]${f.error === undefined ? '' : `  ${f.error}`}`);
    for (const x of f.findings) {
      const where = [x.location.member, x.location.offset === undefined ? undefined : `offset ${x.location.offset}`, x.location.opcode]
        .filter((v) => v !== undefined)
        .join(', ');
      out.push(`  ${x.severity.padEnd(8)} ${x.rule}: ${x.message}${where === '' ? '' : ` (${where})`}`);
    }
    for (const x of f.suppressed ?? []) out.push(`  suppressed ${x.rule}: ${x.reason}`);
  }
  for (const s of report.skipped ?? []) out.push(`skipped    ${s.path}: ${s.message}`);
  const s = report.summary;
  const mb = (s.bytes / 1e6).toFixed(1);
  out.push(
    `${s.files} file(s), ${mb} MB in ${s.durationMs} ms: ${s.unsafe} unsafe, ${s.suspicious} suspicious, ${s.safe} safe, ${s.error} error(s)` +
      (s.suppressed > 0 ? `, ${s.suppressed} finding(s) suppressed` : ''),
  );
  return out.join('\n') + '\n';
}
