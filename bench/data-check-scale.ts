/**
 * `palisade data check` at scale (issue 8): wall time, CPU time and peak RSS from 100,000 to 1,000,000 rows and 20
 * to 40 columns, and a text batch, each case in a fresh child process (read both files + check) so its peak RSS is
 * its own. Goal: 1M rows × 20 columns in under a minute, memory flat beyond the typed columns.
 *
 *   npx tsx bench/data-check-scale.ts                      # ~5 minutes on 2 cores; writes its block of bench/RESULTS.md
 *   npx tsx bench/data-check-scale.ts --quick --no-write   # one small case, to check the benchmark itself
 *   npx tsx bench/data-check-scale.ts --cases 1000000x20,300000xtext --no-write
 *
 * Inputs come from test/support/data-check-gen.ts (reference and batch from different seeds, 3 of the columns are
 * two categories and the label), written as CSV into a fresh temporary folder that is removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTables, readTable } from '../src/data/check/index.js';
import * as gen from '../test/support/data-check-gen.js';
import { describeMachine } from './lib/machine.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const START = '<!-- data-check-scale:start -->';
const END = '<!-- data-check-scale:end -->';
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

interface Measured {
  readMs: number;
  checkMs: number;
  cpuS: number;
  maxRssMiB: number;
  verdict: string;
  flagged: number;
}

// ---- child: one case ------------------------------------------------------------------------------------------
if (args[0] === '--child') {
  const [, ref, cur, text] = args;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await readTable(ref!);
  const c = await readTable(cur!);
  const t1 = performance.now();
  const report = checkTables(r, c, { label: 'label', ...(text === 'text' ? { text: 'text' } : {}) });
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  const m: Measured = { readMs: t1 - t0, checkMs: t2 - t1, cpuS: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024, verdict: report.verdict, flagged: report.rows.length };
  process.stdout.write(JSON.stringify(m));
  process.exit(0);
}

/** `rows` x `columns` (a number, or `text`: a text column and the label). */
interface Case {
  rows: number;
  columns: number | 'text';
}
const parseCase = (s: string): Case => {
  const at = s.indexOf('x');
  const [rows, columns] = [s.slice(0, at), s.slice(at + 1)];
  const c = columns === 'text' ? 'text' : Number(columns);
  if (!Number.isInteger(Number(rows)) || (c !== 'text' && !(Number.isInteger(c) && c >= 4))) throw new Error(`--cases: '${s}' is not ROWSxCOLUMNS (columns ≥ 4) or ROWSxtext`);
  return { rows: Number(rows), columns: c };
};
const cases: Case[] =
  flag('--cases')?.split(',').map(parseCase) ??
  (args.includes('--quick')
    ? [{ rows: 50_000, columns: 20 }]
    : ['100000x20', '300000x20', '1000000x20', '100000x40', '300000x40', '1000000x40', '300000xtext'].map(parseCase));

/** Writes generated rows as CSV in chunks of 10,000 (the generator's rows are objects; never all of them at once). */
async function writeCsv(path: string, c: Case, seed: number): Promise<void> {
  const ws = createWriteStream(path);
  for (let s = 0; s < c.rows; s += 10_000) {
    const n = Math.min(10_000, c.rows - s);
    const chunkSeed = seed * 100_000 + s / 10_000;
    const rows = c.columns === 'text' ? gen.textRows({ rows: n, seed: chunkSeed, rareWords: 20 }) : gen.tableRows({ rows: n, seed: chunkSeed, numeric: c.columns - 3, categorical: 2 });
    const csv = gen.toCsv(rows);
    if (!ws.write(s === 0 ? csv : csv.slice(csv.indexOf('\n') + 1))) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((r) => ws.end(() => r()));
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
const loadStart = load();
const dir = mkdtempSync(join(tmpdir(), 'palisade-data-check-scale-'));
const table: string[][] = [];
try {
  for (const c of cases) {
    const name = `${c.rows}-${c.columns}`;
    const ref = join(dir, `ref-${name}.csv`);
    const cur = join(dir, `cur-${name}.csv`);
    await writeCsv(ref, c, 1);
    await writeCsv(cur, c, 2);
    const before = load();
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', ref, cur, c.columns === 'text' ? 'text' : ''], { encoding: 'utf8', maxBuffer: 1 << 20 });
    rmSync(ref);
    rmSync(cur);
    const m = JSON.parse(out) as Measured;
    const total = (m.readMs + m.checkMs) / 1000;
    // The typed columns of both files: a Float64Array and an Int32Array per column (12 bytes a cell).
    const columns = c.columns === 'text' ? 2 : c.columns;
    const typedMiB = (2 * c.rows * columns * 12) / 2 ** 20;
    table.push([
      `${c.rows.toLocaleString('en')} × ${c.columns === 'text' ? 'text + label' : c.columns}`,
      `${(m.readMs / 1000).toFixed(1)} s`,
      `${(m.checkMs / 1000).toFixed(1)} s`,
      `**${total.toFixed(1)} s**`,
      `${m.cpuS.toFixed(1)} s`,
      `${((m.cpuS / c.rows) * 1e6).toFixed(1)} µs`,
      `${Math.round(m.maxRssMiB)} MiB`,
      `${Math.round(typedMiB)} MiB`,
      `${Math.round(m.maxRssMiB - typedMiB)} MiB`,
      `${m.verdict} (${m.flagged} rows)`,
      before,
    ]);
    process.stderr.write(`${name}: ${total.toFixed(1)} s wall, ${m.cpuS.toFixed(1)} s CPU, ${Math.round(m.maxRssMiB)} MiB\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const mc = describeMachine();
const tbl = (head: string[], rows: string[][]): string => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const block = [
  START,
  `Run of ${new Date().toISOString().slice(0, 16)} UTC, commit ${mc.commit}; ${mc.cpus} cores (${mc.cpuModel}), ${mc.memoryGiB} GiB RAM, Node ${mc.node}, sources through tsx.`,
  '',
  `Load average (1/5/15 min) at start ${loadStart}, at end ${load()}. The machine is shared with other jobs.`,
  '',
  'Reference and batch of the same size (CSV), both read and checked in one fresh process; `--label label` (and `--text text` for the text case); the reference sampled to 200,000 rows for the index. CPU is user + system time of the whole process; per row is per batch row. Typed columns: 12 bytes a cell for both files; the last memory column is peak RSS minus that.',
  '',
  tbl(['rows × columns', 'read both', 'check', 'total', 'CPU', 'CPU per row', 'peak RSS', 'typed columns', 'RSS beyond them', 'verdict', 'load before'], table),
  END,
].join('\n');
if (!args.includes('--no-write')) {
  const text = readFileSync(RESULTS, 'utf8');
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  if (i < 0 || j < i) throw new Error(`bench/RESULTS.md has no ${START} … ${END} block to replace`);
  writeFileSync(RESULTS, text.slice(0, i) + block + text.slice(j + END.length));
}
process.stdout.write(block + '\n');
