/**
 * Gateway benchmark, after the method of research/gateways.md §3: the demo upstream (plain node:http) and the gateway
 * (`palisade serve`, compiled) each in their own process, autocannon in this one; every figure is taken both direct
 * to the upstream and through the gateway. CPU per request is read from the gateway process's /proc stat, so it
 * holds up when the load generator shares the cores.
 *
 *   npm run build && npx tsx bench/gateway-throughput.ts [--seconds 3] [--reps 3] [--connections 1,10,100,1000] [--pin]
 *
 * Each cell of the main table is `--reps` rounds of (direct, gateway, bare proxy), reported by its median round, with
 * the CPU that other processes on the host used meanwhile ("foreign load"). `--pin` pins the load generator to one CPU
 * and the servers to the other with taskset, as research/gateways.md §3 measured Portkey. `--node-flags '…'` starts
 * every gateway process with those Node options (V8 settings such as --max-semi-space-size=64).
 *
 * `--profile` runs the guards-off gateway under `node --cpu-prof` for the main table only, prints where its CPU goes
 * (self time by function and by source line) and stops there; it writes nothing to RESULTS.md, since the profiler's
 * own overhead inflates the figures. `--main-only` measures the main table without the profiler and stops there too;
 * `--guards-only` measures only the guards-on table (2,000 interleaved requests per case instead of 1,000).
 *
 * The demo upstream's own CPU per request (plain node:http, measured on the direct runs) is reported beside the
 * gateway's: a yardstick of the machine's speed at the time, so runs on different days or hosts can be compared. So is
 * a bare Node proxy's (bench/lib/bare-proxy.mjs), the floor that any proxy on Node pays for sockets, HTTP and wake-ups;
 * and each CPU figure names its kernel (system time) part.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Client, request } from 'undici';
import { hotLines, hotSpots } from './lib/cpu-profile.js';
import { describeMachine } from './lib/machine.js';
import { benchHome } from './lib/gateway-home.js';
import { cpuTimes, demoUpstreamArgs, ForeignLoad, peakRssMiB, pinLoadGenerator, processStarter } from './lib/processes.js';
import { writeResults } from './lib/report.js';
import { table } from './lib/stats.js';

/** A difference with its sign: +0.237, −2.318 (a minus sign, not a hyphen after a plus). */
const signed = (x: number, digits: number): string => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(digits)}`;
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, connections: { type: 'string', default: '1,10,100,1000' }, 'no-write': { type: 'boolean', default: false }, profile: { type: 'boolean', default: false }, 'main-only': { type: 'boolean', default: false }, 'guards-only': { type: 'boolean', default: false }, pin: { type: 'boolean', default: false }, 'node-flags': { type: 'string', default: '' }, reps: { type: 'string', default: '3' }, warmup: { type: 'string', default: '5' } } });
const SECONDS = Number(values.seconds);
/** Node options for every gateway process (`--node-flags`, e.g. --max-semi-space-size=64), to compare V8 settings. */
const NODE_FLAGS = values['node-flags'].split(' ').filter((f) => f !== '');
/** Rounds per cell of the main table (`--reps`); each cell reports its median round. */
const REPS = Math.max(1, Number(values.reps));
/** Gateway CPU per request of each cell of the main table (median round, and the range over rounds). */
const cpuCells: { stream: boolean; connections: number; us: number; low: number; high: number }[] = [];
const CONNS = values.connections.split(',').map(Number);
const root = join(import.meta.dirname, '..');
const out = join(import.meta.dirname, 'out', 'gateway');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const bin = join(root, 'bin', 'palisade.js');
const loadStart = loadavg().map((l) => l.toFixed(2)).join(' ');
const pinned = values.pin ? pinLoadGenerator() : undefined;
if (values.pin && pinned === undefined) console.error('--pin: taskset is missing or there is one CPU; running unpinned');
const { start, children } = processStarter(out, pinned?.servers);

const upstream = await start(demoUpstreamArgs(join(root, 'dist', 'index.js')), /UP (\S+)\n/);
const upstreamUrl = upstream.match[1]!;
const home = join(out, '.palisade');

/** Kept after the run (bench/out/ is not tracked), for a closer look in a profile viewer. */
const profileDir = join(import.meta.dirname, 'out', 'gateway-profile');
if (values.profile) rmSync(profileDir, { recursive: true, force: true });

async function gateway(audit: 'background' | 'required', guards = false, profile = false, at = home): Promise<{ base: string; key: string; child: ChildProcess }> {
  const key = benchHome({ bin, cwd: out, home: at, upstream: upstreamUrl, guards, audit });
  const g = await start([...NODE_FLAGS, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), bin, 'serve', '--listen', '127.0.0.1:0'], /listening on (http:\/\/\S+) /, { PALISADE_HOME: at });
  return { base: g.match[1]!, key, child: g.child };
}

/** A benign 988-character prompt for the guards-on runs (the guards must let it through). */
const LONG =
  'The harbour town wakes slowly in the grey light of early morning. Fishing boats return with their catch while gulls circle overhead, calling to each other above the water. Along the quay, shopkeepers raise their shutters and set out crates of fresh vegetables, bread still warm from the ovens, and flowers from the hills behind the town. Children walk to school along the sea wall, stopping to watch the waves break against the rocks below. By mid-morning the market square is busy with visitors who have come to buy local cheese, honey and hand-made pottery. In the afternoon the wind rises and the sailing club prepares its small boats for the weekly race around the lighthouse. Older residents gather at the cafe near the church to talk about the weather, the price of fuel and the football results. As the sun sets, the sky turns orange and purple over the bay, and the lights of the restaurants come on one by one. Please write a short summary of this description in three sentences.';
let prompt = 'Write one sentence about the sea.';
const body = (stream: boolean): string => JSON.stringify({ model: 'chat', max_tokens: 32, stream, messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: prompt }] });

interface Run {
  rps: number;
  p50: number;
  p99: number;
  cpuUsPerReq?: number;
  /** The kernel's part of cpuUsPerReq (system time: socket reads and writes, epoll, wake-ups). */
  sysUsPerReq?: number;
  /** Cores of CPU that processes other than the benchmark's used during the run (research/gateways.md §3). */
  foreign: number;
  errors: number;
}

async function load(url: string, key: string | undefined, stream: boolean, connections: number, pid?: number): Promise<Run> {
  const opts = { url: `${url}/chat/completions`, method: 'POST' as const, headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) }, body: body(stream), connections, pipelining: 1 };
  await autocannon({ ...opts, duration: 1 });
  const c0 = pid === undefined ? undefined : cpuTimes(pid);
  const foreign = new ForeignLoad(children.map((c) => c.pid!));
  const r = await autocannon({ ...opts, duration: SECONDS });
  const foreignCores = foreign.cores();
  const n = Math.max(1, r.requests.total);
  const c1 = pid === undefined ? undefined : cpuTimes(pid);
  const cpu = c0 === undefined || c1 === undefined ? {} : { cpuUsPerReq: ((c1.user + c1.system - c0.user - c0.system) * 1e6) / n, sysUsPerReq: ((c1.system - c0.system) * 1e6) / n };
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ...cpu, foreign: foreignCores, errors: r.errors + r.non2xx };
}

/** `--warmup` seconds of JSON and then SSE traffic at 10 connections to each target, results discarded. */
async function warm(targets: [string, string | undefined][]): Promise<void> {
  for (const [url, key] of targets) {
    for (const stream of [false, true]) {
      await autocannon({ url: `${url}/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) }, body: body(stream), connections: 10, duration: Number(values.warmup) / 2 });
    }
  }
}

/**
 * `connections` undici Clients of one connection each, every one sending requests back to back for `seconds`:
 * latency of each connection's first request (made during the storm of connects) apart from all later ones.
 */
async function perConnection(url: string, key: string, connections: number, seconds: number): Promise<{ first: number[]; later: number[] }> {
  const u = new URL(url);
  const first: number[] = [];
  const later: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new Client(u.origin, { pipelining: 1 });
      for (let n = 0; performance.now() < end; n++) {
        const t = performance.now();
        const res = await client.request({ path: `${u.pathname}/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: body(false) });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`per-connection run: HTTP ${res.statusCode}`);
        (n === 0 ? first : later).push(performance.now() - t);
      }
      await client.close();
    }),
  );
  first.sort((a, b) => a - b);
  later.sort((a, b) => a - b);
  return { first, later };
}

/** Time to the first SSE data event, sequentially, `n` times: p50 and p99 in ms. */
async function ttft(url: string, key: string | undefined, n = 300): Promise<{ p50: number; p99: number }> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await request(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) }, body: body(true) });
    let first: number | undefined;
    for await (const chunk of res.body) if (first === undefined && (chunk as Buffer).includes('data: ')) first = performance.now() - t;
    xs.push(first ?? Number.NaN);
  }
  xs.sort((a, b) => a - b);
  return { p50: xs[Math.floor(n / 2)]!, p99: xs[Math.floor(n * 0.99)]! };
}

/**
 * Added latency of the guards, measured sequentially with both gateways up at once and their requests interleaved
 * (off, on, off, on, …), so a shared machine's changing load falls on both alike: p50 and p99 of the whole round trip
 * (JSON) or of the time to the first event and to the end (SSE), in ms.
 */
async function interleaved(off: { base: string; key: string }, on: { base: string; key: string }, stream: boolean, n: number): Promise<{ off: number[]; on: number[]; offFirst: number[]; onFirst: number[] }> {
  const r = { off: [] as number[], on: [] as number[], offFirst: [] as number[], onFirst: [] as number[] };
  const once = async (g: { base: string; key: string }): Promise<[number, number]> => {
    const t = performance.now();
    const res = await request(`${g.base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${g.key}` }, body: body(stream) });
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode} from ${g.base}`);
    let first: number | undefined;
    for await (const chunk of res.body) if (first === undefined && (chunk as Buffer).length > 0) first = performance.now() - t;
    return [performance.now() - t, first ?? Number.NaN];
  };
  for (let i = 0; i < n; i++) {
    for (const side of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const [total, first] = await once(side === 'off' ? off : on);
      r[side].push(total);
      r[side === 'off' ? 'offFirst' : 'onFirst'].push(first);
    }
  }
  for (const xs of Object.values(r)) xs.sort((a, b) => a - b);
  return r;
}
const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

const rows: string[][] = [];
const f1 = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
// The yardstick: a bare node:http + undici proxy with no work of its own (bench/lib/bare-proxy.mjs).
const bare = await start([join(import.meta.dirname, 'lib', 'bare-proxy.mjs'), upstreamUrl], /listening on (http:\/\/\S+) /);
const bareV1 = `${bare.match[1]!}/v1`;
const gw = await gateway('background', false, values.profile);
const gwV1 = `${gw.base}/v1`;
// Steady state, not start-up: V8 compiles the hot paths over the first thousands of requests (a fresh gateway's first
// request takes tens of ms, its first thousand about 1.5 ms each), so every process gets JSON and SSE traffic first.
await warm([[upstreamUrl, undefined], [gwV1, gw.key], [bareV1, undefined]]);
/** The run with the median CPU per request of `runs` (an odd count gives a real run), and the range over all of them. */
function medianRun(runs: Run[]): { run: Run; low: number; high: number } {
  const sorted = [...runs].sort((x, y) => x.cpuUsPerReq! - y.cpuUsPerReq!);
  return { run: sorted[(sorted.length - 1) >> 1]!, low: sorted[0]!.cpuUsPerReq!, high: sorted[sorted.length - 1]!.cpuUsPerReq! };
}
for (const stream of [false, true]) {
  for (const c of values['guards-only'] ? [] : CONNS) {
    // Rounds of direct, gateway, bare proxy: a shared machine's changing load falls on all three alike, and the median
    // round stands for the cell.
    const runs: { direct: Run[]; through: Run[]; floor: Run[] } = { direct: [], through: [], floor: [] };
    for (let round = 0; round < REPS; round++) {
      runs.direct.push(await load(upstreamUrl, undefined, stream, c, upstream.child.pid));
      runs.through.push(await load(gwV1, gw.key, stream, c, gw.child.pid));
      if (!values.profile) runs.floor.push(await load(bareV1, undefined, stream, c, bare.child.pid));
    }
    const direct = medianRun(runs.direct).run;
    const t = medianRun(runs.through);
    const through = t.run;
    const floor = runs.floor.length === 0 ? undefined : medianRun(runs.floor).run;
    cpuCells.push({ stream, connections: c, us: through.cpuUsPerReq!, low: t.low, high: t.high });
    const rt = (r: Run): string => (c === 1 ? `${(1000 / r.rps).toFixed(3)} ms round trip` : `p50 ${r.p50} ms, p99 ${r.p99} ms`);
    const range = REPS > 1 ? `; rounds ${f1(t.low)}–${f1(t.high)}` : '';
    const foreign = runs.through.map((r) => r.foreign).sort((x, y) => x - y);
    const foreignCell = foreign.length > 1 ? `${foreign[0]!.toFixed(2)}–${foreign[foreign.length - 1]!.toFixed(2)}` : foreign[0]!.toFixed(2);
    rows.push([stream ? 'SSE' : 'JSON', String(c), `${f1(direct.rps)} req/s, ${rt(direct)}`, `${f1(through.rps)} req/s, ${rt(through)}`, `**${f1(through.cpuUsPerReq!)} µs** (kernel ${f1(through.sysUsPerReq!)}${range})`, `${f1(direct.cpuUsPerReq!)} µs (kernel ${f1(direct.sysUsPerReq!)}; ×${(through.cpuUsPerReq! / direct.cpuUsPerReq!).toFixed(1)})`, floor === undefined ? '-' : `${f1(floor.cpuUsPerReq!)} µs (kernel ${f1(floor.sysUsPerReq!)}), ${f1(floor.rps)} req/s`, c === 1 ? `${signed(1000 / through.rps - 1000 / direct.rps, 3)} ms` : `${signed(through.p50 - direct.p50, 0)} ms p50`, foreignCell, String(direct.errors + through.errors)]);
  }
}
// autocannon opens all its connections at once at the start of each run, and a run's first requests wait behind
// that storm of accepts (the bare proxy shows it too). A client of one connection each, looping for a while, tells
// the storm from steady state.
const storm = values['guards-only'] ? undefined : await perConnection(gwV1, gw.key, Math.max(...CONNS), 10);
const tDirect = await ttft(upstreamUrl, undefined);
const tGateway = await ttft(gwV1, gw.key);
const peak = peakRssMiB(gw.child.pid!);
gw.child.kill('SIGTERM');
await new Promise((r) => gw.child.once('exit', r));
const MAIN_HEAD = ['mode', 'connections', 'direct to upstream', 'through the gateway', 'gateway CPU / request (of which kernel)', 'upstream CPU / request (kernel; gateway ×)', 'bare Node proxy CPU / request', 'added', 'foreign load (cores)', 'errors'];
if (values['main-only']) {
  console.log(`${table(MAIN_HEAD, rows)}\n\nGateway Node options: ${NODE_FLAGS.join(" ") || "(none)"}. Peak RSS ${peak.toFixed(0)} MiB; load average at start ${loadStart}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
}
if (values.profile) {
  console.log(`${table(MAIN_HEAD, rows)}\n(gateway under the profiler)\n`);
  console.log('Gateway self time by function (node --cpu-prof):\n');
  console.log(table(['function', 'self ms', 'share'], hotSpots(profileDir, 30).map((h) => [h.where, h.selfMs.toFixed(0), `${(h.share * 100).toFixed(1)}%`])));
  console.log('\nBy source line:\n');
  console.log(table(['line', 'share', 'code'], hotLines(profileDir, 30).map((h) => [h.where, `${(h.share * 100).toFixed(1)}%`, `\`${h.code.replace(/`/g, "'")}\``])));
  console.log(`\nThe profiles are in ${profileDir}.`);
}
if (values.profile || values['main-only']) {
  for (const c of children) c.kill('SIGTERM');
  rmSync(out, { recursive: true, force: true });
  process.exit(0);
}

// The same gateway with every guard on and a 1,000-character prompt, against the guards-off gateway with that prompt.
prompt = LONG;
const guardRows: string[][] = [];
const GUARD_N = values['guards-only'] ? 2000 : 1000;
{
  // Each on its own store, so neither waits on the other's audit commits (one SQLite file takes one writer at a time).
  const off = await gateway('background', false, false, join(out, '.palisade-off'));
  const on = await gateway('background', true, false, join(out, '.palisade-on'));
  await warm([[`${off.base}/v1`, off.key], [`${on.base}/v1`, on.key]]);
  const offRuns = { json: await load(`${off.base}/v1`, off.key, false, 1, off.child.pid), sse: await load(`${off.base}/v1`, off.key, true, 1, off.child.pid), json10: await load(`${off.base}/v1`, off.key, false, 10, off.child.pid) };
  const onRuns = { json: await load(`${on.base}/v1`, on.key, false, 1, on.child.pid), sse: await load(`${on.base}/v1`, on.key, true, 1, on.child.pid), json10: await load(`${on.base}/v1`, on.key, false, 10, on.child.pid) };
  const json = await interleaved(off, on, false, GUARD_N);
  const sse = await interleaved(off, on, true, GUARD_N);
  for (const g of [off, on]) {
    g.child.kill('SIGTERM');
    await new Promise((r) => g.child.once('exit', r));
  }
  const ms = (x: number): string => `${x.toFixed(3)} ms`;
  const seq = (label: string, a: number[], b: number[], cpu: [Run, Run] | undefined): string[] => [
    label,
    `p50 ${ms(pct(a, 0.5))}, p99 ${ms(pct(a, 0.99))}`,
    `p50 ${ms(pct(b, 0.5))}, p99 ${ms(pct(b, 0.99))}`,
    `**${signed(pct(b, 0.5) - pct(a, 0.5), 3)} ms p50, ${signed(pct(b, 0.99) - pct(a, 0.99), 3)} ms p99**`,
    cpu === undefined ? '' : `${f1(cpu[0].cpuUsPerReq!)} → ${f1(cpu[1].cpuUsPerReq!)} µs`,
    cpu === undefined ? '0' : String(cpu[0].errors + cpu[1].errors),
  ];
  guardRows.push(seq('JSON, 1 connection, round trip', json.off, json.on, [offRuns.json, onRuns.json]));
  guardRows.push(seq('SSE, 1 connection, round trip', sse.off, sse.on, [offRuns.sse, onRuns.sse]));
  guardRows.push(seq('SSE, 1 connection, time to first event', sse.offFirst, sse.onFirst, undefined));
  const a = offRuns.json10;
  const b = onRuns.json10;
  guardRows.push(['JSON, 10 connections (autocannon)', `p50 ${a.p50} ms, p99 ${a.p99} ms`, `p50 ${b.p50} ms, p99 ${b.p99} ms`, `${signed(b.p50 - a.p50, 0)} ms p50, ${signed(b.p99 - a.p99, 0)} ms p99`, `${f1(a.cpuUsPerReq!)} → ${f1(b.cpuUsPerReq!)} µs`, String(a.errors + b.errors)]);
}
const GUARD_HEAD = ['case', 'guards off', 'all guards on', 'added', 'gateway CPU / request', 'errors'];
if (values['guards-only']) {
  console.log(`${table(GUARD_HEAD, guardRows)}\n\nLoad average at start ${loadStart}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
  for (const c of children) c.kill('SIGTERM');
  rmSync(out, { recursive: true, force: true });
  process.exit(0);
}
prompt = 'Write one sentence about the sea.';

// Instances: the same total of 100 connections against one gateway process, then split over two (one store).
const instanceRows: string[][] = [];
{
  const a = await gateway('background');
  const one = await load(`${a.base}/v1`, a.key, false, 100, a.child.pid);
  const b = await gateway('background');
  const [x, y] = await Promise.all([load(`${a.base}/v1`, a.key, false, 50, a.child.pid), load(`${b.base}/v1`, b.key, false, 50, b.child.pid)]);
  instanceRows.push(['1', `${f1(one.rps)} req/s`, `p50 ${one.p50} ms, p99 ${one.p99} ms`, String(one.errors)]);
  instanceRows.push(['2', `${f1(x.rps + y.rps)} req/s`, `p50 ${Math.max(x.p50, y.p50)} ms, p99 ${Math.max(x.p99, y.p99)} ms (worse of the two)`, String(x.errors + y.errors)]);
  for (const g of [a, b]) {
    g.child.kill('SIGTERM');
    await new Promise((r) => g.child.once('exit', r));
  }
}

// Start-up, on its own: a fresh gateway process (guards off, then all guards on), from spawn to listening, then
// sequential requests with the 2-message chat request.
const coldRows: string[][] = [];
for (const guards of [false, true]) {
  const t0 = performance.now();
  const g = await gateway('background', guards);
  const listening = performance.now() - t0;
  const xs: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    const res = await request(`${g.base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${g.key}` }, body: body(false) });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`cold start: HTTP ${res.statusCode}`);
    xs.push(performance.now() - t);
  }
  g.child.kill('SIGTERM');
  await new Promise((r) => g.child.once('exit', r));
  const med = (a: number[]): string => `${[...a].sort((x, y) => x - y)[a.length >> 1]!.toFixed(2)} ms`;
  coldRows.push([guards ? 'all guards on' : 'guards off', `${(listening / 1000).toFixed(2)} s`, `${xs[0]!.toFixed(1)} ms`, med(xs.slice(1, 100)), med(xs.slice(100, 1000)), med(xs.slice(1000))]);
}

const req = await gateway('required');
const required = await load(`${req.base}/v1`, req.key, false, 10, req.child.pid);
req.child.kill('SIGTERM');
await new Promise((r) => req.child.once('exit', r));
const verify = execFileSync(process.execPath, [bin, 'audit', 'verify', '--json'], { cwd: out, env: { ...process.env, PALISADE_HOME: home } }).toString();

const m = describeMachine();
const within = cpuCells.filter((x) => x.us <= 350).length;
const worst = cpuCells.reduce((x, y) => (y.us > x.us ? y : x), cpuCells[0]!);
const placement =
  pinned === undefined
    ? ', unpinned, so req/s is shared\nwith the load generator'
    : `, pinned as in research/gateways.md §3 (autocannon on CPU ${pinned.load}; the upstream, the gateway and\nthe bare proxy on CPU ${pinned.servers})`;
const block = `## Gateway

\`npm run build && npx tsx bench/gateway-throughput.ts --seconds ${SECONDS} --reps ${REPS} --connections ${CONNS.join(',')}${pinned === undefined ? '' : ' --pin'}${NODE_FLAGS.length === 0 ? '' : ` --node-flags='${NODE_FLAGS.join(' ')}'`}\` (\`npm run bench:gateway\`),
${new Date().toISOString().slice(0, 10)}, ${m.cpus} × ${m.cpuModel}, Node ${m.node}, commit ${m.commit}. The demo upstream (node:http),
the gateway (\`palisade serve\`, guards off, audit in the background, no limits) and autocannon 8 (${SECONDS} s per run
after 1 s of warm-up, pipelining 1; each process first gets ${values.warmup} s of traffic, so the figures are steady
state; start-up is measured on its own below) run as three processes on the same ${m.cpus} cores${placement}; gateway CPU per request is read from its /proc stat and holds up under that sharing. A 2-message chat
request, as in research/gateways.md §3. Each cell is ${REPS} round${REPS === 1 ? '' : 's'} of (direct, gateway, bare proxy); the table shows the
round with the median gateway CPU per request${REPS > 1 ? ', and the range over the rounds' : ''}. "Foreign load" is the CPU that processes other than the
benchmark's used during the gateway runs, in cores (the host's busy time from /proc/stat less that of the benchmark's
processes; research/gateways.md §3 kept runs at ≤ 0.3). Load average at start ${loadStart}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}.
"Kernel" is the system-time part of a process's CPU (socket reads and writes, epoll, wake-ups). The bare Node proxy
(bench/lib/bare-proxy.mjs: node:http in, an undici Pool out, no parsing, keys, guards, audit or metrics) is measured
in the same round, after the gateway: what any Node proxy pays on this machine at that concurrency.

Target ≤ 350 µs of gateway CPU per request, guards off: ${within} of ${cpuCells.length} cells within it (median rounds); the highest is
${worst.stream ? 'SSE' : 'JSON'} at ${worst.connections} connection${worst.connections === 1 ? '' : 's'}, ${f1(worst.us)} µs.

${table(MAIN_HEAD, rows)}

All guards on (input: injection, secrets, pii; output: secrets, pii, canary-token) with a 988-character benign prompt,
against the guards-off gateway with the same prompt. Both gateways run at once, each on its own store; the 1-connection latencies are ${GUARD_N}
sequential requests to each, interleaved (off, on, on, off, …); CPU per request is from ${SECONDS} s autocannon runs.

${table(GUARD_HEAD, guardRows)}

Peak gateway memory over all of the runs above (up to ${Math.max(...CONNS)} concurrent connections): ${peak.toFixed(0)} MiB RSS.

Instances sharing one SQLite store (the audit log takes the database lock), 100 connections in total, JSON:

${table(['gateway processes', 'throughput', 'latency', 'errors'], instanceRows)}

Start-up: a fresh \`palisade serve\` (this includes creating an API key with the CLI first, about 0.4 s), then 2,000
sequential requests; round trip of the first, and medians of the next ranges:

${table(['gateway', 'spawn to listening', 'request 1', 'requests 2–100', '101–1,000', '1,001–2,000'], coldRows)}

${storm === undefined ? '' : `${Math.max(...CONNS)} connections as ${Math.max(...CONNS)} clients of one connection each, requests back to back for 10 s (JSON, guards off):
each connection's first request (sent while all of them connect at once) p50 ${pct(storm.first, 0.5).toFixed(0)} ms, p99 ${pct(storm.first, 0.99).toFixed(0)} ms;
the ${storm.later.length.toLocaleString('en-US')} requests after it p50 ${pct(storm.later, 0.5).toFixed(0)} ms, p99 ${pct(storm.later, 0.99).toFixed(0)} ms, max ${storm.later.at(-1)!.toFixed(0)} ms.
autocannon's rows include each connection's first request in their percentiles.

`}Streams, time to the first event (sequential, 300 requests): direct p50 ${tDirect.p50.toFixed(3)} ms / p99 ${tDirect.p99.toFixed(3)} ms,
through the gateway p50 ${tGateway.p50.toFixed(3)} ms / p99 ${tGateway.p99.toFixed(3)} ms.

With \`gateway.audit: required\` (each reply waits until its entry is durable), 10 connections, JSON:
${f1(required.rps)} req/s, p50 ${required.p50} ms, p99 ${required.p99} ms, ${f1(required.cpuUsPerReq!)} µs gateway CPU per request.
After the runs \`palisade audit verify\` reported ${verify.trim().replace(/\s+/g, ' ')}.
`;
console.log(block);
if (values['no-write'] !== true) writeResults(join(import.meta.dirname, 'RESULTS.md'), block, 'gateway-throughput', 'bench/gateway-throughput.ts');
for (const c of children) c.kill('SIGTERM');
rmSync(out, { recursive: true, force: true });
process.exit(0);
