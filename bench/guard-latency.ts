/**
 * Latency of the guards per text, on one thread: p50 / p99 by text length (250 to 64,000 characters) to show the
 * cost per 1,000 characters and that it grows linearly, plus a breakdown at 1,000 characters.
 *
 *   taskset -c 0 npx tsx bench/guard-latency.ts [--data FILE]
 *
 * Inputs are slices of the labeled evaluation texts (all sources and languages, joined), taken at fixed offsets.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkText, classifyInjection, defaultRegistry, normalize, shippedInjectionModel } from '../src/guard/index.js';
import { parseEvalRows } from '../src/guard/injection/evaluate.js';
import { describeMachine } from './lib/machine.js';
import { table } from './lib/stats.js';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { data: { type: 'string', default: join(root, '..', 'shared', 'data', 'prompt-injection', 'eval.jsonl') } } });
const corpus = parseEvalRows(readFileSync(values.data!, 'utf8'), values.data)
  .map((r) => r.text)
  .join('\n');

function slices(length: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => corpus.slice((i * 7919) % (corpus.length - length), ((i * 7919) % (corpus.length - length)) + length));
}

function measure(texts: readonly string[], fn: (t: string) => unknown): number[] {
  for (const t of texts.slice(0, 30)) fn(t);
  const out: number[] = [];
  for (const t of texts) {
    const t0 = process.hrtime.bigint();
    fn(t);
    out.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return out.sort((a, b) => a - b);
}
const pct = (xs: readonly number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

const model = shippedInjectionModel();
const registry = defaultRegistry();
const load0 = loadavg()[0]!;
const rows: string[][] = [];
let per1k = 0;
for (const length of [250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000]) {
  const texts = slices(length, Math.max(60, Math.min(1000, Math.floor(2_000_000 / length))));
  const us = measure(texts, (t) => classifyInjection(t, { model }));
  if (length === 1000) per1k = pct(us, 0.5);
  rows.push([String(length), String(texts.length), pct(us, 0.5).toFixed(0), pct(us, 0.99).toFixed(0), ((pct(us, 0.5) / length) * 1000).toFixed(0), ((pct(us, 0.99) / length) * 1000).toFixed(0), (pct(us, 0.5) / per1k || 0).toFixed(2)]);
}

const k1 = slices(1000, 1000);
const stages: string[][] = [];
for (const [name, fn] of [
  ['normalize (NFKC … decoding)', (t: string) => normalize(t)],
  ['classifyInjection (normalize + windows)', (t: string) => classifyInjection(t, { model })],
  ['secrets', (t: string) => checkText(t, { registry, guards: ['secrets'] })],
  ['pii', (t: string) => checkText(t, { registry, guards: ['pii'] })],
  ['content-policy', (t: string) => checkText(t, { registry, guards: ['content-policy'] })],
  ['all five guards (checkText)', (t: string) => checkText(t, { registry, canaries: ['PLSDABCDEFGHIJKLMNOPQRST'] })],
] as const) {
  const us = measure(k1, fn);
  stages.push([name, pct(us, 0.5).toFixed(0), pct(us, 0.99).toFixed(0), pct(us, 0.999).toFixed(0)]);
}

const m = describeMachine();
console.log('## Guard latency (one thread)\n');
console.log(`Machine: ${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, commit ${m.commit}; load average ${load0.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end.\n`);
console.log('classifyInjection by text length (µs; "×1k" = p50 relative to the 1,000-character p50):\n');
console.log(table(['chars', 'texts', 'p50 µs', 'p99 µs', 'p50 µs per 1k chars', 'p99 µs per 1k chars', '×1k'], rows));
console.log('\nAt 1,000 characters (1,000 texts), µs:\n');
console.log(table(['stage', 'p50', 'p99', 'p99.9'], stages));
