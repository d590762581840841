/**
 * The injection classifier beside the npm peers `llm_guardrail` and `@andersmyrmel/vard` on the same labeled set
 * (default: ../shared/data/prompt-injection/eval.jsonl, never trained on). Flag = injection or jailbreak.
 *
 *   npx tsx bench/guard-peers.ts [--data FILE]
 *
 * Every detector runs sequentially in this thread, after one warm-up call; latency is per text.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import vard from '@andersmyrmel/vard';
import { classifyInjection, shippedInjectionModel } from '../src/guard/index.js';
import { parseEvalRows, type EvalRow } from '../src/guard/index.js';
import { describeMachine } from './lib/machine.js';
import { table } from './lib/stats.js';

interface GuardrailResult {
  detected: boolean;
  allowed: boolean;
}
// llm_guardrail ships plain JavaScript without type declarations: these are the two calls used here.
interface Guardrail {
  checkInjection(p: string): Promise<GuardrailResult>;
  checkJailbreak(p: string): Promise<GuardrailResult>;
  checkAll(p: string): Promise<{ allowed: boolean }>;
}
const guardrail = (await import('llm_guardrail' as string)) as Guardrail;

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { data: { type: 'string', default: join(root, '..', 'shared', 'data', 'prompt-injection', 'eval.jsonl') } } });
const rows = parseEvalRows(readFileSync(values.data!, 'utf8'), values.data);

type Detector = { name: string; flag: (t: string) => Promise<boolean> | boolean };
const model = shippedInjectionModel();
const detectors: Detector[] = [
  { name: `palisade injection (threshold ${model.threshold.toFixed(3)})`, flag: (t) => classifyInjection(t, { model }).flagged },
  { name: '@andersmyrmel/vard 1.2.0 (default)', flag: (t) => !vard.safe(t).safe },
  { name: 'llm_guardrail 2.1.2 (injection + jailbreak)', flag: async (t) => (await guardrail.checkInjection(t)).detected || (await guardrail.checkJailbreak(t)).detected },
  { name: 'llm_guardrail 2.1.2 checkAll (+ malicious)', flag: async (t) => !(await guardrail.checkAll(t)).allowed },
];

const source = (r: EvalRow): string => r.source.split('/')[0]!;
const sources = [...new Set(rows.map(source))].sort();
const f3 = (x: number): string => x.toFixed(3);
const load0 = loadavg()[0]!;
const overall: string[][] = [];
const bySource = new Map<string, string[]>(sources.map((s) => [s, [`${s} (${rows.find((r) => source(r) === s)!.label}, ${rows.filter((r) => source(r) === s).length})`]]));
for (const d of detectors) {
  await d.flag('warm up');
  const times: number[] = [];
  const flags: boolean[] = [];
  for (const r of rows) {
    const t0 = process.hrtime.bigint();
    flags.push(await d.flag(r.text));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  let tp = 0;
  let fp = 0;
  let pos = 0;
  let neg = 0;
  rows.forEach((r, i) => {
    if (r.label === 'benign') {
      neg++;
      if (flags[i]) fp++;
    } else {
      pos++;
      if (flags[i]) tp++;
    }
  });
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp / pos;
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  overall.push([d.name, f3(precision), f3(recall), f3((2 * precision * recall) / (precision + recall || 1)), f3(fp / neg), `${mean.toFixed(2)} / ${sorted[Math.floor(0.95 * (sorted.length - 1))]!.toFixed(2)}`]);
  for (const s of sources) bySource.get(s)!.push(String(rows.filter((r, i) => source(r) === s && flags[i]).length));
}

const m = describeMachine();
console.log(`## Injection classifier vs npm peers (${rows.length} rows of ${values.data!.split('/').slice(-1)[0]})\n`);
console.log(`Machine: ${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, commit ${m.commit}; load average ${load0.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end.\n`);
console.log(table(['detector', 'precision', 'recall', 'F1', 'FPR (benign)', 'latency mean / p95 ms'], overall));
console.log('\nFlagged rows by source:\n');
console.log(table(['source (label, n)', ...detectors.map((d) => d.name)], [...bySource.values()]));
