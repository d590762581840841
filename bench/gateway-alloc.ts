/**
 * What the gateway allocates per request, by function: V8's sampling heap profiler (through the inspector), with the
 * objects the collector has already freed counted too, over sequential requests to a `palisade serve` running in this
 * process (the CLI's own `main`, the demo upstream beside it, so its allocations are in the total: about 8 KiB of a
 * streamed request). Load comes from autocannon in a child process (one connection unless told). Nothing is written.
 *
 *   npm run build && npx tsx bench/gateway-alloc.ts [--mode sse|json] [--guards] [--seconds 5] [--connections 1]
 *   npx tsx bench/gateway-alloc.ts --guard-path        # the guards alone: the input guards on the 1,018-character prompt,
 *                                                      # the output guards over a ten-event stream, in a loop
 *   npx tsx bench/gateway-alloc.ts --survivors         # only what outlived the young-generation collections
 *
 * The sampler takes one allocation in every 1 KiB (512 B with --guard-path) on average: per-function figures are
 * estimates, good to a few percent over thousands of requests.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchHome, GUARDED_PROMPT } from './lib/gateway-home.js';
import type * as Cli from '../src/cli/main.js';
import type * as Gateway from '../src/gateway/index.js';
import type { GatewayGuards } from '../src/gateway/index.js';
import type * as Guard from '../src/guard/index.js';

const { values } = parseArgs({ options: { mode: { type: 'string', default: 'sse' }, guards: { type: 'boolean', default: false }, seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '1' }, 'guard-path': { type: 'boolean', default: false }, survivors: { type: 'boolean', default: false }, top: { type: 'string', default: '20' } } });
if (values.mode !== 'sse' && values.mode !== 'json') {
  console.error('--mode must be sse or json');
  process.exit(2);
}
const root = join(import.meta.dirname, '..');
// The built code, as `palisade serve` runs it (tsx would measure its own transpilation of the sources instead).
const { main } = (await import(join(root, 'dist', 'cli', 'main.js'))) as typeof Cli;
const { guardInput, startDemoUpstream, StreamGuard } = (await import(join(root, 'dist', 'gateway', 'index.js'))) as typeof Gateway;
const { defaultRegistry } = (await import(join(root, 'dist', 'guard', 'index.js'))) as typeof Guard;

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}

/** Runs `work` under the sampler; returns bytes per unit of work by function, and the total. */
async function sampled(interval: number, work: () => Promise<number>): Promise<{ total: number; byFunction: [string, number][] }> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: !values.survivors, includeObjectsCollectedByMinorGC: !values.survivors });
  const n = await work();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SampleNode } };
  session.disconnect();
  const self = new Map<string, number>();
  let total = 0;
  const walk = (node: SampleNode): void => {
    const f = node.callFrame;
    const where = `${f.functionName === '' ? '(anonymous)' : f.functionName} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    total += node.selfSize;
    self.set(where, (self.get(where) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
  return { total: total / n, byFunction: [...self].map(([k, v]) => [k, v / n] as [string, number]).sort((a, b) => b[1] - a[1]) };
}

let label: string;
let result: { total: number; byFunction: [string, number][] };
if (values['guard-path']) {
  const registry = defaultRegistry();
  const guards: GatewayGuards = { input: ['injection', 'secrets', 'pii'].map((n) => ({ guard: registry.get(n) })), output: ['secrets', 'pii', 'canary-token'].map((n) => ({ guard: registry.get(n) })), restore: false };
  const words = 'Hello from the Palisade demo model. Ask me anything.'.split(/(?<= )/);
  const once = (): void => {
    const input = guardInput('chat', { model: 'chat', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: GUARDED_PROMPT }] }, guards);
    const sg = new StreamGuard(guards, input, []);
    for (const w of words) sg.push(w);
    sg.end();
  };
  for (let i = 0; i < 2000; i++) once();
  label = 'the guard path (input guards on the prompt, output guards over a ten-event stream)';
  result = await sampled(512, async () => {
    for (let i = 0; i < 2000; i++) once();
    return 2000;
  });
} else {
  const out = join(import.meta.dirname, 'out', 'gateway-alloc');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const home = join(out, '.palisade');
  process.env.PALISADE_HOME = home;
  const up = await startDemoUpstream();
  const key = benchHome({ bin: join(root, 'bin', 'palisade.js'), cwd: out, home, upstream: up.url, guards: values.guards });
  // `palisade serve` prints where it listens; catch the line on its way to stdout.
  const listening = new Promise<string>((resolve) => {
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      const m = /listening on (http:\/\/\S+) /.exec(String(chunk));
      if (m !== null) resolve(m[1]!);
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
  });
  void main(['serve', '--listen', '127.0.0.1:0']);
  const base = await listening;
  const body = JSON.stringify({ model: 'chat', max_tokens: 32, stream: values.mode === 'sse', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: values.guards ? GUARDED_PROMPT : 'Write one sentence about the sea.' }] });
  const load = (seconds: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const args = [join(root, 'node_modules', 'autocannon', 'autocannon.js'), '-j', '-c', values.connections, '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-H', `authorization=Bearer ${key}`, '-b', body, `${base}/v1/chat/completions`];
      const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      let text = '';
      c.stdout.on('data', (b: Buffer) => (text += b.toString()));
      c.on('exit', () => {
        const r = JSON.parse(text) as { requests: { total: number }; errors: number; non2xx: number };
        if (r.errors + r.non2xx > 0) reject(new Error(`${r.errors + r.non2xx} errors`));
        else resolve(r.requests.total);
      });
    });
  await load(3);
  label = `a ${values.mode.toUpperCase()} request through the gateway, guards ${values.guards ? 'on (1,018-character prompt)' : 'off'}`;
  result = await sampled(1024, () => load(Number(values.seconds)));
}
console.log(`${values.survivors ? 'Outliving young-generation collections' : 'Allocated'}, per ${label}: ${(result.total / 1024).toFixed(1)} KiB\n`);
for (const [where, bytes] of result.byFunction.slice(0, Number(values.top))) console.log(`${(bytes / 1024).toFixed(2).padStart(8)} KiB  ${where}`);
process.exit(0);
