/**
 * A/B of two gateway builds under the same load at the same moment: both `palisade serve` processes share one demo
 * upstream (each has a home and store of its own), and their runs are interleaved (A B, B A, …), so a shared
 * machine's changing load falls on both alike. Prints the CPU per request of each (user + system, from /proc) per run, its median and its best run,
 * and the median of B − A over the rounds (each round runs A and B back to back).
 *
 *   # a build of the other commit, e.g.: git archive <commit> | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/ && (cd /tmp/base && npx tsc -p tsconfig.build.json)
 *   npm run build && npx tsx bench/gateway-ab.ts --base /tmp/base/bin/palisade.js [--connections 10] [--modes json,sse] [--seconds 1.5] [--runs 10] [--guards]
 *
 * `--guards` runs both with every guard on (input: injection, secrets, pii; output: secrets, pii, canary-token) and a
 * prompt of about 1,000 characters.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { benchHome, GUARDED_PROMPT } from './lib/gateway-home.js';
import { cpuTimes, demoUpstreamArgs, processStarter } from './lib/processes.js';
import { spread } from './lib/stats.js';

const { values } = parseArgs({ options: { base: { type: 'string' }, connections: { type: 'string', default: '10' }, modes: { type: 'string', default: 'json,sse' }, seconds: { type: 'string', default: '1.5' }, runs: { type: 'string', default: '10' }, guards: { type: 'boolean', default: false } } });
if (values.base === undefined) {
  console.error('usage: npx tsx bench/gateway-ab.ts --base <other build>/bin/palisade.js (see the comment at the top of this file)');
  process.exit(2);
}
const root = join(import.meta.dirname, '..');
const builds = { A: resolve(values.base), B: join(root, 'bin', 'palisade.js') };
const out = join(import.meta.dirname, 'out', 'gateway-ab');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { start } = processStarter(out);

const upstream = await start(demoUpstreamArgs(join(root, 'dist', 'index.js')), /UP (\S+)\n/);
// Each build gets a home of its own, made by its own CLI, on the same disk: builds whose stores differ in layout
// can be compared, and neither pays for the other's writes.
const gateways: Record<'A' | 'B', { url: string; pid: number; key: string }> = { A: { url: '', pid: 0, key: '' }, B: { url: '', pid: 0, key: '' } };
for (const side of ['A', 'B'] as const) {
  const home = join(out, side, '.palisade');
  mkdirSync(home, { recursive: true });
  const key = benchHome({ bin: builds[side], cwd: out, home, upstream: upstream.match[1]!, guards: values.guards });
  const g = await start([builds[side], 'serve', '--listen', '127.0.0.1:0'], /listening on (http:\/\/\S+) /, { PALISADE_HOME: home });
  gateways[side] = { url: g.match[1]!, pid: g.child.pid!, key };
}
// With --guards, a benign prompt of about 1,000 characters.
const prompt = values.guards ? GUARDED_PROMPT : 'Write one sentence about the sea.';
const body = (stream: boolean): string => JSON.stringify({ model: 'chat', max_tokens: 32, stream, messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: prompt }] });

console.log(`A = ${builds.A}\nB = ${builds.B}\nload average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const mode of values.modes.split(',')) {
  for (const connections of values.connections.split(',').map(Number)) {
    const us: Record<'A' | 'B', number[]> = { A: [], B: [] };
    for (let run = 0; run < Number(values.runs); run++) {
      for (const side of run % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
        const g = gateways[side];
        const opts = { url: `${g.url}/v1/chat/completions`, method: 'POST' as const, headers: { 'content-type': 'application/json', authorization: `Bearer ${g.key}` }, body: body(mode === 'sse'), connections };
        await autocannon({ ...opts, duration: 1 });
        const c0 = cpuTimes(g.pid);
        const r = await autocannon({ ...opts, duration: Number(values.seconds) });
        const c1 = cpuTimes(g.pid);
        if (r.errors + r.non2xx > 0) throw new Error(`${side}: ${r.errors + r.non2xx} errors`);
        us[side].push(((c1.user - c0.user + c1.system - c0.system) * 1e6) / Math.max(1, r.requests.total));
      }
    }
    for (const side of ['A', 'B'] as const) {
      const sorted = [...us[side]].sort((a, b) => a - b);
      console.log(`${mode} c=${connections} ${side}: median ${sorted[sorted.length >> 1]!.toFixed(0)} µs, best ${sorted[0]!.toFixed(0)} µs; runs ${us[side].map((x) => x.toFixed(0)).join(' ')}`);
    }
    // Each round measures A and B back to back, so their difference holds up when the machine's speed drifts between
    // rounds (which moves both sides' medians).
    const diffs = us.B.map((b, i) => b - us.A[i]!);
    const { median } = spread(diffs);
    console.log(`${mode} c=${connections} B − A, round by round: median ${median >= 0 ? '+' : ''}${median.toFixed(0)} µs; B lower in ${diffs.filter((d) => d < 0).length} of ${diffs.length} rounds`);
  }
}
console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
rmSync(out, { recursive: true, force: true });
process.exit(0);
