/**
 * The gateway's garbage collection under load: a `palisade serve` process started with `--trace-gc-nvp`, the demo
 * upstream beside it, and either autocannon at a given concurrency or sequential requests; prints the collector's
 * pauses (count, total and per request), what each scavenge kept (survived and promoted), the gateway's CPU per request
 * and its peak RSS. Nothing is written.
 *
 *   npm run build && npx tsx bench/gateway-gc.ts [--connections 1000] [--mode sse|json] [--seconds 5]
 *   npx tsx bench/gateway-gc.ts --guards --sequential 2000 [--mode sse]    # every guard on, a 1,018-character prompt
 *   npx tsx bench/gateway-gc.ts --node-flags='--max-semi-space-size=64'   # a V8 setting for the gateway
 *   npx tsx bench/gateway-gc.ts --bin <other build>/bin/palisade.js      # another build's gateway
 *   npx tsx bench/gateway-gc.ts --bare                                     # the bare Node proxy instead, the floor
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

const { values } = parseArgs({ options: { connections: { type: 'string', default: '1000' }, mode: { type: 'string', default: 'sse' }, seconds: { type: 'string', default: '5' }, sequential: { type: 'string' }, guards: { type: 'boolean', default: false }, 'node-flags': { type: 'string', default: '' }, bin: { type: 'string' }, bare: { type: 'boolean', default: false } } });
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
// `--bare` measures the bare Node proxy (bench/lib/bare-proxy.mjs: node:http in, undici out, nothing else) instead.
const g = values.bare
  ? await start([...flags, '--trace-gc-nvp', join(import.meta.dirname, 'lib', 'bare-proxy.mjs'), upstream.match[1]!], /listening on (http:\/\/\S+) /)
  : await start([...flags, '--trace-gc-nvp', bin, 'serve', '--listen', '127.0.0.1:0'], /listening on (http:\/\/\S+) /, { PALISADE_HOME: home });
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
// --trace-gc-nvp lines: "... pause=5.04 mutator=65.9 gc=s ... allocated=13140220 promoted=2288495 ... new_space_survived=3018720 ..."
// (gc=s is a scavenge; the other kinds are full collections). Sizes are bytes.
const field = (line: string, name: string): number => Number(new RegExp(`\\b${name}=([\\d.]+)`).exec(line)?.[1] ?? Number.NaN);
const pauses = trace
  .split('\n')
  .filter((l) => l.includes(' gc='))
  .map((l) => ({ kind: / gc=s\b/.test(l) ? 'scavenge' : 'mark-compact', ms: field(l, 'pause'), survived: field(l, 'new_space_survived'), promoted: field(l, 'promoted') }));
const report = (kind: string): string => {
  const xs = pauses.filter((p) => p.kind === kind).map((p) => p.ms).sort((a, b) => a - b);
  const total = xs.reduce((a, b) => a + b, 0);
  return `${kind}: ${xs.length} (${total.toFixed(0)} ms, ${((total * 1000) / run.requests).toFixed(0)} µs per request${xs.length > 0 ? `; each p50 ${xs[xs.length >> 1]!.toFixed(1)} ms, max ${xs[xs.length - 1]!.toFixed(1)} ms` : ''})`;
};
const cpu = ((c1.user + c1.system - c0.user - c0.system) * 1e6) / run.requests;
const what = values.sequential === undefined ? `${values.connections} connections, ${values.seconds} s` : `${values.sequential} sequential requests`;
const who = values.bare ? 'bare proxy' : 'gateway';
console.log(`${values.mode.toUpperCase()}, ${what}, ${values.bare ? 'bare Node proxy' : `guards ${values.guards ? 'on' : 'off'}`}${flags.length > 0 ? `, node ${flags.join(' ')}` : ''}: ${run.requests} requests, ${cpu.toFixed(0)} µs ${who} CPU per request`);
console.log(`  ${report('scavenge')}\n  ${report('mark-compact')}`);
// What each scavenge copied: objects that outlived it in the young generation, and those moved to the old one.
const scavenges = pauses.filter((p) => p.kind === 'scavenge');
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
if (scavenges.length > 0) console.log(`  per scavenge: ${(mean(scavenges.map((p) => p.survived)) / 2 ** 20).toFixed(2)} MiB survived, ${(mean(scavenges.map((p) => p.promoted)) / 2 ** 20).toFixed(2)} MiB promoted`);
if (run.ms.length > 0) {
  const ms = [...run.ms].sort((a, b) => a - b);
  console.log(`  round trip p50 ${ms[ms.length >> 1]!.toFixed(3)} ms, p99 ${ms[Math.floor(ms.length * 0.99)]!.toFixed(3)} ms`);
}
console.log(`  peak RSS ${peakRssMiB(g.child.pid!).toFixed(0)} MiB`);
rmSync(out, { recursive: true, force: true });
process.exit(0);
