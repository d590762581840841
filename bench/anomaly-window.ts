/**
 * The gateway's anomaly detector per request (`AnomalyDetector.observe`, as the gateway calls it once per request):
 * in a loop over the built code, for a client that repeats one prompt (the throughput benchmark's case) and for
 * 5,000 distinct prompts of 12 words from a 19-word vocabulary (real traffic, with many near-identical pairs).
 * Nothing is written.
 *
 *   npm run build && npx tsx bench/anomaly-window.ts [--dist <other build>/dist] [--requests 200000]
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type * as Anomaly from '../src/gateway/anomaly.js';
import type * as Schema from '../src/core/config-schema.js';

const { values } = parseArgs({ options: { dist: { type: 'string' }, requests: { type: 'string', default: '200000' } } });
const dist = values.dist === undefined ? join(import.meta.dirname, '..', 'dist') : resolve(values.dist);
const { AnomalyDetector } = (await import(join(dist, 'gateway', 'anomaly.js'))) as typeof Anomaly;
const { ConfigSchema } = (await import(join(dist, 'core', 'config-schema.js'))) as typeof Schema;
const settings = ConfigSchema.parse({}).gateway.anomaly;
const N = Number(values.requests);

const words = 'the a sea harbour town wakes slowly grey light early morning boats return nets fish market opens gulls call'.split(' ');
const distinct = Array.from({ length: 5000 }, (_, i) => `You are a helpful assistant.\n${Array.from({ length: 12 }, (_, j) => words[(i * 7 + j * 13 + (i >> 3)) % words.length]).join(' ')} ${i}`);
// The repeated prompt is parsed anew each time, as a request body is: a new string with the same text.
const body = JSON.stringify({ p: 'You are a helpful assistant.\nWrite one sentence about the sea.' });

console.log(`${values.dist ?? 'dist/'}: AnomalyDetector.observe, µs per request (${N.toLocaleString('en-US')} requests a round, three rounds)`);
for (const [name, prompt] of [['one repeated prompt', () => (JSON.parse(body) as { p: string }).p], ['5,000 distinct prompts', (i: number) => distinct[i % distinct.length]!]] as const) {
  const d = new AnomalyDetector(settings);
  const rounds: string[] = [];
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) d.observe('k1', 'chat', { at: Date.now(), blocked: false, prompt: prompt(i) });
    rounds.push((Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2));
  }
  console.log(`  ${name.padEnd(24)} ${rounds.join(', ')}`);
}
