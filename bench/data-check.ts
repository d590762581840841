/**
 * `palisade data check` (issue 8): detection quality on synthetic batches where the truth is known. Speed and
 * memory at scale are bench/data-check-scale.ts.
 *
 *   npx tsx bench/data-check.ts                 # ~2 minutes on 2 cores; writes its block of bench/RESULTS.md
 *   npx tsx bench/data-check.ts --quick --no-write
 *
 * Inputs are generated into bench/out/data-check/ (git-ignored) by test/support/data-check-gen.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  { name: 'text near-duplicate injection (5 × 20 texts, text only)', expect: 'poisoning', ref: textRef, ...textAttacked(12, (c) => gen.textDuplicateClusters(c, 5, 20, 'positive', 13)), options: T },
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
  END,
].join('\n');
if (!args.includes('--no-write')) {
  const text = readFileSync(RESULTS, 'utf8');
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  writeFileSync(RESULTS, i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + END.length) : `${text.trimEnd()}\n\n## data check (issue 8)\n\nCommand: \`npx tsx bench/data-check.ts\` (generator: test/support/data-check-gen.ts).\n\n${block}\n`);
}
process.stdout.write(block + '\n');
