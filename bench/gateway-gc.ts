/**
 * The gateway's garbage collection under load: a `palisade serve` process started with `--trace-gc`, the demo
 * upstream beside it, and either autocannon at a given concurrency or sequential requests; prints the collector's
 * pauses (count, total and per request), the gateway's CPU per request and its peak RSS. Nothing is written.
 *
 *   npm run build && npx tsx bench/gateway-gc.ts [--connections 1000] [--mode sse|json] [--seconds 5]
 *   npx tsx bench/gateway-gc.ts --guards --sequential 2000 [--mode sse]    # every guard on, a 1,018-character prompt
 *   npx tsx bench/gateway-gc.ts --node-flags='--max-semi-space-size=64'   # a V8 setting for the gateway
 *   npx tsx bench/gateway-gc.ts --bin <other build>/bin/palisade.js      # another build's gateway
 *
 * Each run first gets as much traffic again as warm-up, whose collections are not counted.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { request } from 'undici';
import { benchHome, GUARDED_PROMPT } from './lib/gateway-home.js';
import { cpuTimes, demoUpstreamArgs, peakRssMiB, processStarter } from './lib/processes.js';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '1000' }, mode: { type: 'string', default: 'sse' }, seconds: { type: 'string', default: '5' }, sequential: { type: 'string' }, guards: { type: 'boolean', default: false }, 'node-flags': { type: 'string', default: '' }, bin: { type: 'string' } } });
if (values.mode !== 'sse' && values.mode !== 'json') {
  console.error('--mode must be sse or json');
  process.exit(2);
}
const root = join(import.meta.dirname, '..');
const out = join(import.meta.dirname, 'out', 'gateway-gc');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { start } = processStarter(out);
// `--bin <other build>/bin/palisade.js` measures another build (see bench/gateway-ab.ts for making one).
const bin = values.bin === undefined ? join(root, 'bin', 'palisade.js') : resolve(values.bin);
const upstream = await start(demoUpstreamArgs(join(root, 'dist', 'index.js')), /UP (\S+)\n/);
const home = join(out, '.palisade');
const key = benchHome({ bin, cwd: out, home, upstream: upstream.match[1]!, guards: values.guards });
const flags = values['node-flags'].split(' ').filter((f) => f !== '');
const g = await start([...flags, '--trace-gc', bin, 'serve', '--listen', '127.0.0.1:0'], /listening on (http:\/\/\S+) /, { PALISADE_HOME: home });
let trace = '';
g.child.stdout!.on('data', (b: Buffer) => (trace += b.toString()));

const prompt = values.guards ? GUARDED_PROMPT : 'Write one sentence about the sea.';
const body = JSON.stringify({ model: 'chat', max_tokens: 32, stream: values.mode === 'sse', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: prompt }] });
const url = `${g.match[1]!}/v1/chat/completions`;
const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };

/** Sends the load once; returns the requests made and, for sequential runs, each round trip in ms. */
async function load(): Promise<{ requests: number; ms: number[] }> {
  if (values.sequential === undefined) {
    const r = await autocannon({ url, method: 'POST', headers, body, connections: Number(values.connections), duration: Number(values.seconds) });
    if (r.errors + r.non2xx > 0) throw new Error(`${r.errors + r.non2xx} errors`);
    return { requests: r.requests.total, ms: [] };
  }
  const ms: number[] = [];
  for (let i = 0; i < Number(values.sequential); i++) {
    const t = performance.now();
    const res = await request(url, { method: 'POST', headers, body });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    ms.push(performance.now() - t);
  }
  return { requests: ms.length, ms };
}

await load();
trace = '';
const c0 = cpuTimes(g.child.pid!);
const run = await load();
const c1 = cpuTimes(g.child.pid!);
// --trace-gc lines: "... Scavenge 60.1 (79.8) -> 47.5 (80.8) MB, 5.04 / 0.57 ms ..." (the first figure is the pause).
const pauses = [...trace.matchAll(/(Scavenge|Mark-Compact|Mark-sweep)[^\n]*?MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms/g)].map((m) => ({ kind: m[1] === 'Scavenge' ? 'scavenge' : 'mark-compact', ms: Number(m[2]) }));
const report = (kind: string): string => {
  const xs = pauses.filter((p) => p.kind === kind).map((p) => p.ms).sort((a, b) => a - b);
  const total = xs.reduce((a, b) => a + b, 0);
  return `${kind}: ${xs.length} (${total.toFixed(0)} ms, ${((total * 1000) / run.requests).toFixed(0)} µs per request${xs.length > 0 ? `; each p50 ${xs[xs.length >> 1]!.toFixed(1)} ms, max ${xs[xs.length - 1]!.toFixed(1)} ms` : ''})`;
};
const cpu = ((c1.user + c1.system - c0.user - c0.system) * 1e6) / run.requests;
const what = values.sequential === undefined ? `${values.connections} connections, ${values.seconds} s` : `${values.sequential} sequential requests`;
console.log(`${values.mode.toUpperCase()}, ${what}, guards ${values.guards ? 'on' : 'off'}${flags.length > 0 ? `, node ${flags.join(' ')}` : ''}: ${run.requests} requests, ${cpu.toFixed(0)} µs gateway CPU per request`);
console.log(`  ${report('scavenge')}\n  ${report('mark-compact')}`);
if (run.ms.length > 0) {
  const ms = [...run.ms].sort((a, b) => a - b);
  console.log(`  round trip p50 ${ms[ms.length >> 1]!.toFixed(3)} ms, p99 ${ms[Math.floor(ms.length * 0.99)]!.toFixed(3)} ms`);
}
console.log(`  peak RSS ${peakRssMiB(g.child.pid!).toFixed(0)} MiB`);
rmSync(out, { recursive: true, force: true });
process.exit(0);
