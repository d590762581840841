/**
 * Audit log benchmark: append throughput on SQLite and PostgreSQL for 1, 64 and 1024 concurrent writers (and how it
 * holds up as the log grows), per-record latency for a lone writer, proof generation against log size (up to a
 * synthetic 10 M-entry node table), and the full verification rate. Writes its table into bench/RESULTS.md.
 *
 *   npm run build && npx tsx bench/audit-throughput.ts [--entries 200000] [--synthetic 10000000] [--postgres URL]
 *
 * Measures the compiled library (dist/) when it is built, as the CLI runs it; otherwise the sources.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { describeMachine } from './lib/machine.js';
import { writeResults } from './lib/report.js';
import { table } from './lib/stats.js';
import type * as LibModule from '../src/index.js';
import type * as StoreModule from '../src/store/index.js';

type Lib = typeof LibModule;
type Store = Awaited<ReturnType<Lib['openStore']>>;

const { values } = parseArgs({ options: { entries: { type: 'string', default: '200000' }, synthetic: { type: 'string', default: '10000000' }, postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' }, 'no-write': { type: 'boolean', default: false } } });
const N = Number(values.entries);
const SYN = Number(values.synthetic);
const root = join(import.meta.dirname, '..');
const compiled = existsSync(join(root, 'dist', 'index.js'));
const lib = (await import(compiled ? '../dist/index.js' : '../src/index.js')) as Lib;
const { dropSchema } = (await import(compiled ? '../dist/store/index.js' : '../src/store/index.js')) as typeof StoreModule;
const out = join(import.meta.dirname, 'out', 'audit');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const key = lib.logKey(privateKey, publicKey);
const rows: string[][] = [];
const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const loadStart = load();
const event = (i: number) => ({ type: 'gateway.request', actor: 'apikey:k1', subject: `model:chat@${i % 7}`, data: { promptDigest: randomBytes(32).toString('hex'), tokens: i % 900 } });

/** `count` records from `writers` concurrent callers; the rate per quarter of the run shows growth with log size. */
async function appendRun(store: Store, label: string, count: number, writers: number): Promise<void> {
  const log = new lib.AuditLog(store, key);
  const quarter = Math.ceil(count / 4);
  const marks: number[] = [];
  const latencies: number[] = [];
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await log.record(event(i));
        latencies.push(performance.now() - t0);
        if (++done % quarter === 0) marks.push(performance.now());
      }
    }),
  );
  const end = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / count;
  const s = (end - t) / 1000;
  const quarters = [t, ...marks.slice(0, 3), end].slice(1).map((m, i, a) => quarter / (((m - (i === 0 ? t : a[i - 1]!)) / 1000) || 1e-9));
  rows.push([
    `append, ${label}`,
    `${fmt(count)} events, ${writers} writer${writers === 1 ? '' : 's'}`,
    `**${fmt(count / s)} events/s**; by quarter of the run: ${quarters.map(fmt).join(' / ')}; ${cpuUs.toFixed(1)} µs CPU per event in this process (${fmt(1e6 / cpuUs)} events/s per busy core)`,
    `record() p50 ${pct(latencies, 0.5).toFixed(2)} ms, p99 ${pct(latencies, 0.99).toFixed(2)} ms`,
  ]);
}

/** Inclusion and consistency proofs against stored checkpoints near the given sizes. */
async function proofTimes(store: Store, label: string, targets: number[]): Promise<void> {
  for (const target of targets) {
    const row = await store.db.selectFrom('audit_checkpoints').select('size').where('size', '<=', target).orderBy('size', 'desc').limit(1).executeTakeFirst();
    if (row === undefined) continue;
    const size = Number(row.size);
    const reps = 300;
    const inc: number[] = [];
    const con: number[] = [];
    for (let i = 0; i < reps; i++) {
      let t = performance.now();
      await lib.proveInclusion(store, (i * 7919) % size, size);
      inc.push(performance.now() - t);
      t = performance.now();
      await lib.proveConsistency(store, 1 + ((i * 104729) % (size - 1)), size);
      con.push(performance.now() - t);
    }
    rows.push([`proofs, ${label}`, `size ${fmt(size)}`, `inclusion p50 ${pct(inc, 0.5).toFixed(3)} ms, p99 ${pct(inc, 0.99).toFixed(3)} ms; consistency p50 ${pct(con, 0.5).toFixed(3)} ms, p99 ${pct(con, 0.99).toFixed(3)} ms`, `${reps} each`]);
  }
}

async function verifyRun(store: Store, label: string): Promise<void> {
  const t = performance.now();
  const r = await lib.verifyLog(store, { origin: key.origin, verifier: key.verifier });
  const s = (performance.now() - t) / 1000;
  rows.push([`verify, ${label}`, `${fmt(r.size)} entries, ${fmt(r.checkpoints)} checkpoints`, `**${fmt(r.size / s)} entries/s**`, `${s.toFixed(2)} s, ok=${r.ok}`]);
}

async function suite(label: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>, count: number): Promise<void> {
  for (const [writers, n] of [[1, Math.min(count, 5000)], [64, Math.min(count, 60000)]] as const) {
    const s = await open();
    await appendRun(s.store, label, n, writers);
    await s.close();
  }
  const s = await open();
  await appendRun(s.store, label, count, 1024);
  await proofTimes(s.store, label, [1000, Math.floor(count / 10), count]);
  await verifyRun(s.store, label);
  await s.close();
}

let dbNo = 0;
await suite(
  'SQLite',
  async () => {
    const store = await lib.openStore({ url: join(out, `audit-${dbNo++}.db`) });
    return { store, close: () => store.close() };
  },
  N,
);

try {
  await suite(
    'PostgreSQL',
    async () => {
      const schema = `bench_${randomBytes(4).toString('hex')}`;
      const store = await lib.openStore({ url: values.postgres, schema });
      return {
        store,
        close: async () => {
          await dropSchema(store, schema);
          await store.close();
        },
      };
    },
    Math.min(N, 100_000),
  );
} catch (err) {
  rows.push(['PostgreSQL', 'not reachable', (err as Error).message, '']);
}

// Proof generation at a very large size: the tables are filled directly (random hashes), as a log of SYN entries
// would leave them: every leaf as an entry row's leaf_hash, the subtrees above in the node table.
if (SYN > 0) {
  const path = join(out, 'synthetic.db');
  const s0 = await lib.openStore({ url: path });
  await s0.close();
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const t = performance.now();
  const ins = db.prepare('insert into audit_nodes (level, idx, hash) values (?, ?, ?)');
  const fill = db.transaction((level: number, count: number) => {
    for (let i = 0; i < count; i++) ins.run(level, i, randomBytes(32));
  });
  for (let level = 1; 2 ** level <= SYN; level++) fill(level, Math.floor(SYN / 2 ** level));
  const entry = db.prepare('insert into audit_entries (idx, leaf_hash, entry, type, actor, subject, time) values (?, ?, ?, ?, ?, ?, ?)');
  const blob = Buffer.from('{}');
  db.transaction(() => {
    for (let i = 0; i < SYN; i++) entry.run(i, randomBytes(32), blob, 'a.b', 'os:x', 's:y', 't');
  })();
  db.prepare('insert into audit_checkpoints (size, root_hash, note, created_at) values (?, ?, ?, ?)').run(SYN, randomBytes(32), 'synthetic', 't');
  db.close();
  const store = await lib.openStore({ url: path });
  await proofTimes(store, `SQLite, synthetic node table (${((performance.now() - t) / 1000).toFixed(0)} s to fill)`, [SYN]);
  await store.close();
}

const m = describeMachine();
const block = `### Latest run (generated)

\`npm run build && npx tsx bench/audit-throughput.ts --entries ${N} --synthetic ${SYN}\` (\`npm run bench:audit\`), ${new Date().toISOString().slice(0, 10)},
${m.cpus} × ${m.cpuModel}, Node ${m.node}, commit ${m.commit}; measured ${compiled ? 'the compiled library (dist/)' : 'the TypeScript sources under tsx'};
PostgreSQL on loopback. Load average (1/5/15 min) at start ${loadStart}, at end ${load()}. Each \`record()\` resolves after
its batch commits with a signed checkpoint (durable); a batch is whatever queued while the previous transaction ran,
so batch size follows the number of concurrent writers. CPU per event is this process's user + system time (the
writers, the log and SQLite, which runs in-process; PostgreSQL's own CPU is not in it) divided by the events: unlike
events/s it barely moves when other jobs share the cores. Proofs are generated from the stored subtree hashes (one
indexed query, a UNION ALL of the leaves from the entry rows and the subtrees above from the node table) and timed end
to end through the library, including the entry and checkpoint reads.

${table(['case', 'input', 'result', 'time / latency'], rows)}
`;
console.log(block);
if (values['no-write'] !== true) writeResults(join(import.meta.dirname, 'RESULTS.md'), block, 'audit-throughput', 'bench/audit-throughput.ts');
rmSync(out, { recursive: true, force: true });
