import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CoreError } from '../../core/errors.js';
import { snapshotDataset } from '../../data/index.js';
import { checkedEventData, checkTables, DATA_CHECKED, readTable, renderHtml, reportJson, type CheckReport } from '../../data/check/index.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { recordIfHome } from '../record.js';
import { shown, writeOutput } from './sign.js';

interface CheckFlags {
  reference: string;
  current: string;
  label?: string;
  text?: string;
  json?: boolean;
  html?: string;
  maxReference?: string;
  progress?: boolean;
  record?: boolean;
  config?: string;
}

/** A row-count progress bar on stderr when it is a terminal. */
function rowBar(io: Io, enabled: boolean | undefined): { update: (label: string, done: number, total: number) => void; stop: () => void } {
  if (enabled === false || !io.stderrIsTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({ format: '{label} {bar} {value}/{total} rows | {eta_formatted} left', stream: process.stderr, hideCursor: true, clearOnComplete: true });
  let started = '';
  return {
    update: (label, done, total) => {
      if (started !== label) {
        if (started !== '') bar.stop();
        bar.start(Math.max(1, total), 0, { label });
        started = label;
      }
      bar.setTotal(Math.max(1, total, done));
      bar.update(done, { label });
    },
    stop: () => bar.stop(),
  };
}

function summaryText(r: CheckReport, ref: string, cur: string): string {
  const lines = [`${r.verdict.toUpperCase()}: ${cur} against ${ref} (${r.summary.currentRows} rows against ${r.summary.referenceRows})`];
  for (const s of r.schema) lines.push(`  schema  ${s.column}: ${s.change} (${s.detail})`);
  for (const d of r.drift.filter((x) => x.severity === 'medium' || x.severity === 'high')) lines.push(`  drift   ${d.column}: ${d.test} ${d.severity} (effect ${d.effect.toFixed(3)}, p ${d.pValue === null ? '-' : d.pValue.toExponential(2)})`);
  const low = r.drift.filter((x) => x.severity === 'low').length;
  if (low > 0) lines.push(`  drift   ${low} test(s) significant at low severity (see --json)`);
  for (const t of r.triggers) lines.push(`  trigger '${t.text}' -> label '${t.label}' in ${t.rows.length} rows: ${t.rows.slice(0, 10).join(', ')}${t.rows.length > 10 ? ', …' : ''}`);
  if (r.rows.length > 0) lines.push(`  rows    ${r.rows.length} flagged; first: ${r.rows.slice(0, 5).map((x) => `${x.row} (${x.score}: ${x.reasons[0]!.split(':')[0]})`).join(', ')}`);
  return lines.join('\n') + '\n';
}

/** `palisade data check`: schema, drift and poisoning of a new batch against a trusted reference. */
export function registerDataCheck(data: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  data
    .command('check')
    .description('check a new batch against a trusted reference: schema changes, drift per column, poisoned rows and backdoor triggers; exit 1 unless clean')
    .requiredOption('--reference <file>', 'the trusted reference (.csv, .tsv, .jsonl or .parquet)')
    .requiredOption('--current <file>', 'the new batch (.csv, .tsv, .jsonl or .parquet)')
    .option('--label <column>', 'the label column (label conflicts, duplicate clusters, triggers)')
    .option('--text <column>', 'a free-text column (backdoor triggers)')
    .option('--max-reference <n>', 'reference rows indexed for nearest neighbours (default 200000)')
    .option('--json', 'print the result as JSON')
    .option('--html <file>', 'also write a readable HTML report')
    .option('--no-progress', 'no progress bar')
    .option('--no-record', 'do not record in the audit log (recorded when a home exists)')
    .option('--config <file>', 'config file (for the audit log)')
    .action(async (f: CheckFlags) => {
      const maxReference = f.maxReference === undefined ? undefined : Number(f.maxReference);
      if (maxReference !== undefined && (!Number.isInteger(maxReference) || maxReference < 100)) throw new CoreError('CORE_USAGE', `--max-reference must be a whole number of at least 100, not '${f.maxReference}'`);
      const refPath = resolve(io.cwd, f.reference);
      const curPath = resolve(io.cwd, f.current);
      const bar = rowBar(io, f.progress);
      let report: CheckReport;
      try {
        const ref = await readTable(refPath, { onRows: (n) => bar.update('reading reference', n, n) });
        const cur = await readTable(curPath, { onRows: (n) => bar.update('reading current', n, n) });
        report = checkTables(ref, cur, { ...(f.label === undefined ? {} : { label: f.label }), ...(f.text === undefined ? {} : { text: f.text }), ...(maxReference === undefined ? {} : { maxReference }), onRows: (done, total) => bar.update('checking rows', done, total) });
      } finally {
        bar.stop();
      }
      const names = { reference: shown(io.cwd, refPath), current: shown(io.cwd, curPath) };
      if (f.html !== undefined) writeOutput(resolve(io.cwd, f.html), renderHtml(report, names), 'HTML report');
      io.stdout(f.json === true ? JSON.stringify(reportJson(report), null, 2) + '\n' : summaryText(report, names.reference, names.current));
      if (f.record !== false) {
        const digest = async (p: string): Promise<string> => (await snapshotDataset(p, { name: shown(io.cwd, p), rows: false })).manifest.rootDigest;
        const [refDigest, curDigest] = await Promise.all([digest(refPath), digest(curPath)]);
        await recordIfHome(io, env, f, [refPath, curPath], (actor) => [
          { type: DATA_CHECKED, actor, subject: `path:${names.current}`, data: { ...checkedEventData(report, { path: names.reference, rootDigest: refDigest }, { path: names.current, rootDigest: curDigest }) } },
        ]);
      }
      setCode(report.verdict === 'clean' ? 0 : 1);
    });
}
