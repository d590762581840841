/**
 * `palisade data check` (issue 8): detection quality on synthetic batches where the truth is known, and speed and
 * memory from 250k to 1M rows and 10 to 40 columns.
 *
 *   npx tsx bench/data-check.ts                 # ~10 minutes on 2 cores; writes its block of bench/RESULTS.md
 *   npx tsx bench/data-check.ts --quick --no-write
 *
 * Inputs are generated into bench/out/data-check/ (git-ignored) by test/support/data-check-gen.ts. Every speed
 * case runs in a fresh child process (read both files + check), so its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { checkTables, readTable, type CheckOptions, type CheckReport } from '../src/data/check/index.js';
import * as gen from '../test/support/data-check-gen.js';
import { describeMachine } from './lib/machine.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out', 'data-check');
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const START = '<!-- data-check:start -->';
const END = '<!-- data-check:end -->';
const args = process.argv.slice(2);
const quick = args.includes('--quick');

// ---- child: one speed case --------------------------------------------------------------------------------------
if (args[0] === '--child') {
  const [, ref, cur] = args;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await readTable(ref!);
  const c = await readTable(cur!);
  const t1 = performance.now();
  const report = checkTables(r, c, { label: 'label' });
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ readMs: t1 - t0, checkMs: t2 - t1, cpuS: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024, verdict: report.verdict, flagged: report.rows.length }));
  process.exit(0);
}

mkdirSync(OUT, { recursive: true });
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' / ');
const loadStart = load();

// ---- quality ----------------------------------------------------------------------------------------------------
interface Case {
  name: string;
  expect: CheckReport['verdict'];
  ref: gen.Row[];
  cur: gen.Row[];
  truth: number[];
  options: CheckOptions;
  /** Columns that must be reported (drift at medium or more, or a schema change). */
  columns?: string[];
}
const N = quick ? 5000 : 20_000;
const L: CheckOptions = { label: 'label' };
const T: CheckOptions = { label: 'label', text: 'text' };
const ref = gen.tableRows({ rows: N, seed: 1 });
const textRef = gen.textRows({ rows: N, seed: 1 });
const attacked = (seed: number, attack: (rows: gen.Row[]) => number[]): { cur: gen.Row[]; truth: number[] } => {
  const cur = gen.tableRows({ rows: N, seed });
  return { cur, truth: attack(cur) };
};
const textAttacked = (seed: number, attack: (rows: gen.Row[]) => number[]): { cur: gen.Row[]; truth: number[] } => {
  const cur = gen.textRows({ rows: N, seed });
  return { cur, truth: attack(cur) };
};
const schemaAttack = (): gen.Row[] => {
  const cur = gen.tableRows({ rows: N, seed: 40 });
  gen.schemaAttacks(cur);
  return cur;
};
const catDrift = (): gen.Row[] => {
  const cur = gen.tableRows({ rows: N, seed: 41 });
  for (let i = 0; i < cur.length; i++) if (i % 3 !== 0) cur[i]!.c0 = i % 10 === 1 ? 'purple' : 'red';
  return cur;
};
const cases: Case[] = [
  { name: 'clean vs clean (table)', expect: 'clean', ref, cur: gen.tableRows({ rows: N, seed: 2 }), truth: [], options: L },
  { name: 'clean vs clean (text, 300 rare innocent words)', expect: 'clean', ref: textRef, cur: gen.textRows({ rows: N, seed: 2, rareWords: 300 }), truth: [], options: T },
  { name: 'natural mild drift (f0 +0.03 sd)', expect: 'clean', ref, cur: gen.tableRows({ rows: N, seed: 3, shift: 0.03 }), truth: [], options: L },
  { name: 'strong numeric drift (f0 +0.8 sd)', expect: 'drift', ref, cur: gen.tableRows({ rows: N, seed: 4, shift: 0.8 }), truth: [], options: L, columns: ['f0', 'f1'] },
  { name: 'strong categorical drift + new category (c0)', expect: 'drift', ref, cur: catDrift(), truth: [], options: L, columns: ['c0'] },
  { name: 'random label flips (5%)', expect: 'poisoning', ref, ...attacked(5, (c) => gen.randomFlips(c, N / 20, 7)), options: L },
  { name: 'targeted flips in one region (1%)', expect: 'poisoning', ref, ...attacked(6, (c) => gen.targetedFlips(c, N / 100)), options: L },
  { name: 'near-duplicate injection (5 × 20 rows)', expect: 'poisoning', ref, ...attacked(7, (c) => gen.duplicateClusters(c, 5, 20, 9)), options: L },
  { name: 'out-of-distribution injection (0.1%)', expect: 'poisoning', ref, ...attacked(8, (c) => gen.outOfDistribution(c, N / 1000, 9)), options: L },
  { name: "text backdoor token 'cf' (1%)", expect: 'poisoning', ref: textRef, ...textAttacked(10, (c) => gen.insertTrigger(c, 'cf', 'positive', N / 100, 4)), options: T },
  { name: "text backdoor phrase 'james bond' (1%)", expect: 'poisoning', ref: textRef, ...textAttacked(11, (c) => gen.insertTrigger(c, 'james bond', 'negative', N / 100, 4)), options: T },
  { name: 'schema attacks (6 changes)', expect: 'schema', ref, cur: schemaAttack(), truth: [], options: L, columns: ['f2', 'f3', 'f4', 'f5', 'c1', 'extra'] },
];

async function runCase(c: Case): Promise<CheckReport> {
  const write = (name: string, rows: gen.Row[]): string => {
    const p = join(OUT, `${name}.jsonl`);
    writeFileSync(p, gen.toJsonl(rows));
    return p;
  };
  return checkTables(await readTable(write('q-ref', c.ref)), await readTable(write('q-cur', c.cur)), c.options);
}

const qualityRows: string[][] = [];
const f1s: number[] = [];
let cleanFlagged = 0;
let cleanRows = 0;
let allColumnsFound = true;
for (const c of cases) {
  const r = await runCase(c);
  const flagged = new Set(r.rows.map((x) => x.row));
  const truth = new Set(c.truth);
  const tp = [...flagged].filter((x) => truth.has(x)).length;
  const precision = flagged.size === 0 ? (truth.size === 0 ? 1 : 0) : tp / flagged.size;
  const recall = truth.size === 0 ? 1 : tp / truth.size;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  if (truth.size > 0) f1s.push(f1);
  if (c.expect === 'clean') {
    cleanFlagged += flagged.size;
    cleanRows += c.cur.length;
  }
  const reported = new Set([...r.schema.map((s) => s.column), ...r.drift.filter((d) => d.severity === 'medium' || d.severity === 'high').map((d) => d.column)]);
  const missed = (c.columns ?? []).filter((col) => !reported.has(col));
  if (missed.length > 0) allColumnsFound = false;
  const found = c.columns === undefined ? '' : missed.length === 0 ? `all ${c.columns.length}` : `missed ${missed.join(', ')}`;
  qualityRows.push([c.name, c.expect, r.verdict + (r.verdict === c.expect ? '' : ' ✗'), String(flagged.size), truth.size === 0 ? '' : String(truth.size), truth.size === 0 ? '' : precision.toFixed(2), truth.size === 0 ? '' : recall.toFixed(2), truth.size === 0 ? '' : f1.toFixed(2), found, r.triggers.map((t) => `'${t.text}'→${t.label} (${t.rows.length})`).join(', ')]);
  process.stderr.write(`${c.name}: ${r.verdict}\n`);
}
const macroF1 = f1s.reduce((a, b) => a + b, 0) / f1s.length;

// ---- speed ------------------------------------------------------------------------------------------------------
async function writeCsv(path: string, rows: number, numeric: number, seed: number): Promise<void> {
  const ws = createWriteStream(path);
  for (let s = 0; s < rows; s += 10_000) {
    const csv = gen.toCsv(gen.tableRows({ rows: Math.min(10_000, rows - s), seed: seed * 100_000 + s / 10_000, numeric, categorical: 2 }));
    if (!ws.write(s === 0 ? csv : csv.slice(csv.indexOf("\n") + 1))) await new Promise<void>((r) => ws.once("drain", () => r()));
  }
  await new Promise<void>((r) => ws.end(() => r()));
}
function writeParquet(path: string, rows: number, numeric: number, seed: number): void {
  const cols = new Map<string, (string | number)[]>();
  for (let s = 0; s < rows; s += 10_000)
    for (const row of gen.tableRows({ rows: Math.min(10_000, rows - s), seed: seed * 100_000 + s / 10_000, numeric, categorical: 2 }))
      for (const [k, v] of Object.entries(row)) {
        if (!cols.has(k)) cols.set(k, []);
        cols.get(k)!.push(v as string | number);
      }
  const columnData = [...cols].map(([name, data]) => (typeof data[0] === 'number' ? { name, data: Float64Array.from(data as number[]) } : { name, data: data as string[] }));
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: 100_000 })));
}

interface Speed { readMs: number; checkMs: number; cpuS: number; maxRssMiB: number; verdict: string; flagged: number }
const speedCases: { rows: number; columns: number; format: 'csv' | 'parquet' }[] = quick
  ? [{ rows: 50_000, columns: 20, format: 'csv' }]
  : [
      { rows: 250_000, columns: 20, format: 'csv' },
      { rows: 500_000, columns: 20, format: 'csv' },
      { rows: 1_000_000, columns: 20, format: 'csv' },
      { rows: 1_000_000, columns: 20, format: 'parquet' },
      { rows: 500_000, columns: 10, format: 'csv' },
      { rows: 500_000, columns: 40, format: 'csv' },
    ];
const speedRows: string[][] = [];
for (const s of speedCases) {
  const numeric = s.columns - 3; // + c0, c1 and the label
  const refPath = join(OUT, `ref-${s.rows}-${s.columns}.${s.format}`);
  const curPath = join(OUT, `cur-${s.rows}-${s.columns}.${s.format}`);
  if (s.format === 'csv') {
    await writeCsv(refPath, s.rows, numeric, 1);
    await writeCsv(curPath, s.rows, numeric, 2);
  } else {
    writeParquet(refPath, s.rows, numeric, 1);
    writeParquet(curPath, s.rows, numeric, 2);
  }
  const before = load();
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', refPath, curPath], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const m = JSON.parse(out) as Speed;
  const total = (m.readMs + m.checkMs) / 1000;
  speedRows.push([`${s.rows.toLocaleString('en')} × ${s.columns}`, s.format, `${(m.readMs / 1000).toFixed(1)} s`, `${(m.checkMs / 1000).toFixed(1)} s`, `${total.toFixed(1)} s`, `${Math.round(s.rows / total).toLocaleString('en')}`, `${m.cpuS.toFixed(1)} s`, `${Math.round(m.maxRssMiB)} MiB`, m.verdict, before]);
  process.stderr.write(`${s.rows} × ${s.columns} ${s.format}: ${total.toFixed(1)} s\n`);
}

// ---- report -----------------------------------------------------------------------------------------------------
const mc = describeMachine();
const tbl = (head: string[], rows: string[][]): string => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const block = [
  START,
  `Run of ${new Date().toISOString().slice(0, 16)} UTC, commit ${mc.commit}; ${mc.cpus} cores (${mc.cpuModel}), ${mc.memoryGiB} GiB RAM, Node ${mc.node}, sources through tsx.`,
  '',
  `Load average (1/5/15 min) at start ${loadStart}, at end ${load()}. The machine is shared with other jobs.`,
  '',
  `**Quality** (${N.toLocaleString('en')}-row reference and batch each; JSON Lines): macro F1 over the poisoned cases **${macroF1.toFixed(2)}** (goal ≥ 0.8); rows flagged on clean and mildly drifted batches **${((100 * cleanFlagged) / cleanRows).toFixed(2)}%** (goal ≤ 1%); every strongly drifted column and schema change found: **${allColumnsFound ? 'yes' : 'no'}**.`,
  '',
  tbl(['case', 'expected', 'verdict', 'rows flagged', 'poisoned rows', 'precision', 'recall', 'F1', 'columns found', 'triggers'], qualityRows),
  '',
  '**Speed and memory** (reference and batch of the same size, both read and checked; `--label label`; the reference is sampled to 200,000 rows for the index). Rows/s = batch rows / (read + check).',
  '',
  tbl(['rows × columns', 'format', 'read both', 'check', 'total', 'rows/s', 'CPU', 'peak RSS', 'verdict', 'load before'], speedRows),
  END,
].join('\n');
if (!args.includes('--no-write')) {
  const text = readFileSync(RESULTS, 'utf8');
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  writeFileSync(RESULTS, i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + END.length) : `${text.trimEnd()}\n\n## data check (issue 8)\n\nCommand: \`npx tsx bench/data-check.ts\` (generator: test/support/data-check-gen.ts).\n\n${block}\n`);
}
process.stdout.write(block + '\n');
