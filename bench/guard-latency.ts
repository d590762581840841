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
import { parseEvalRows } from '../src/guard/index.js';
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

/**
 * Wall time and CPU time per call, µs, each sorted. CPU time (user + system of this process) leaves out the time
 * the thread waited for a core, which on a shared machine is most of a wall-clock p99.
 */
function measure(texts: readonly string[], fn: (t: string) => unknown): { wall: number[]; cpu: number[] } {
  for (const t of texts.slice(0, 30)) fn(t);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (const t of texts) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn(t);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e3);
    const c = process.cpuUsage(c0);
    cpu.push(c.user + c.system);
  }
  return { wall: wall.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b) };
}
const pct = (xs: readonly number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

const model = shippedInjectionModel();
const registry = defaultRegistry();
const load0 = loadavg()[0]!;
const byLength: { length: number; n: number; wall: number[]; cpu: number[] }[] = [];
for (const length of [250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000]) {
  const texts = slices(length, Math.max(60, Math.min(1000, Math.floor(2_000_000 / length))));
  byLength.push({ length, n: texts.length, ...measure(texts, (t) => classifyInjection(t, { model })) });
}
const base = byLength.find((r) => r.length === 1000)!;
const rows = byLength.map((r) => [
  String(r.length),
  String(r.n),
  `${pct(r.wall, 0.5).toFixed(0)} / ${pct(r.wall, 0.99).toFixed(0)}`,
  `${pct(r.cpu, 0.5).toFixed(0)} / ${pct(r.cpu, 0.99).toFixed(0)}`,
  `${((pct(r.cpu, 0.5) / r.length) * 1000).toFixed(0)} / ${((pct(r.cpu, 0.99) / r.length) * 1000).toFixed(0)}`,
  (pct(r.cpu, 0.5) / pct(base.cpu, 0.5)).toFixed(2),
]);

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
  const { wall, cpu } = measure(k1, fn);
  stages.push([name, `${pct(wall, 0.5).toFixed(0)} / ${pct(wall, 0.99).toFixed(0)}`, `${pct(cpu, 0.5).toFixed(0)} / ${pct(cpu, 0.99).toFixed(0)} / ${pct(cpu, 0.999).toFixed(0)}`]);
}

const m = describeMachine();
console.log('## Guard latency (one thread)\n');
console.log(`Machine: ${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, commit ${m.commit}; load average ${load0.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end.\n`);
console.log('classifyInjection by text length, µs ("×1k" = CPU p50 over the 1,000-character CPU p50; linear growth keeps it near chars / 1,000):\n');
console.log(table(['chars', 'texts', 'wall p50 / p99', 'CPU p50 / p99', 'CPU per 1k chars p50 / p99', '×1k'], rows));
console.log('\nAt 1,000 characters (1,000 texts), µs:\n');
console.log(table(['stage', 'wall p50 / p99', 'CPU p50 / p99 / p99.9'], stages));
