/**
 * Audit log benchmark: append throughput (SQLite, PostgreSQL), proof generation against log size, full
 * verification rate. `npm run build && npx tsx bench/audit-throughput.ts [--entries N] [--synthetic N]`.
 * Prints a markdown table; numbers go into bench/RESULTS.md by hand with the command.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { AuditLog, logKey, openStore, proveConsistency, proveInclusion, verifyLog, type Store } from '../src/index.js';
import { dropSchema } from '../src/store/index.js';

const { values } = parseArgs({ options: { writers: { type: 'string', default: '512' }, entries: { type: 'string', default: '200000' }, synthetic: { type: 'string', default: '10000000' }, postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' } } });
const N = Number(values.entries);
const SYN = Number(values.synthetic);
const out = join(import.meta.dirname, 'out', 'audit');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const key = logKey(privateKey, publicKey);
const rows: string[][] = [];
const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function appendRun(store: Store, label: string, count: number, writers: number): Promise<void> {
  const log = new AuditLog(store, key);
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < count) {
        const i = next++;
        await log.record({ type: 'gateway.request', actor: 'apikey:k1', subject: `model:chat@${i % 7}`, data: { promptDigest: randomBytes(32).toString('hex'), tokens: i % 900 } });
      }
    }),
  );
  const s = (performance.now() - t) / 1000;
  rows.push([`append, ${label}`, `${fmt(count)} events, ${writers} concurrent writers`, `${fmt(count / s)} events/s`, `${s.toFixed(2)} s`]);
}

async function proofTimes(store: Store, label: string, size: number): Promise<void> {
  const reps = 200;
  let t = performance.now();
  for (let i = 0; i < reps; i++) await proveInclusion(store, Math.floor((i * 7919) % size), size);
  const inc = (performance.now() - t) / reps;
  t = performance.now();
  for (let i = 0; i < reps; i++) await proveConsistency(store, 1 + Math.floor((i * 104729) % (size - 1)), size);
  const con = (performance.now() - t) / reps;
  rows.push([`proofs, ${label}`, `size ${fmt(size)}`, `inclusion ${inc.toFixed(3)} ms, consistency ${con.toFixed(3)} ms`, `mean of ${reps}`]);
}

// SQLite: append, proofs, verification.
const sqlitePath = join(out, 'audit.db');
const sqlite = await openStore({ url: sqlitePath });
await appendRun(sqlite, 'SQLite', N, Number(values.writers));
await proofTimes(sqlite, 'SQLite', N);
{
  const t = performance.now();
  const r = await verifyLog(sqlite, { origin: key.origin, verifier: key.verifier });
  const s = (performance.now() - t) / 1000;
  rows.push(['verify, SQLite', `${fmt(r.size)} entries, ${fmt(r.checkpoints)} checkpoints`, `${fmt(r.size / s)} entries/s`, `${s.toFixed(2)} s, ok=${r.ok}`]);
}
await sqlite.close();

// PostgreSQL, when reachable.
try {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = await openStore({ url: values.postgres, schema });
  await appendRun(pg, 'PostgreSQL', Math.min(N, 100000), Number(values.writers));
  await proofTimes(pg, 'PostgreSQL', Math.min(N, 100000));
  await dropSchema(pg, schema);
  await pg.close();
} catch (err) {
  rows.push(['PostgreSQL', 'not reachable', (err as Error).message, '']);
}

// Proof generation at a very large size: the node table is filled directly (random hashes), as a log of SYN
// entries would leave it; proofs read only nodes, one entry row and one checkpoint row.
{
  const path = join(out, 'synthetic.db');
  const s0 = await openStore({ url: path });
  await s0.close();
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const t = performance.now();
  const ins = db.prepare('insert into audit_nodes (level, idx, hash) values (?, ?, ?)');
  const fill = db.transaction((level: number, count: number) => {
    for (let i = 0; i < count; i++) ins.run(level, i, randomBytes(32));
  });
  for (let level = 0; 2 ** level <= SYN; level++) fill(level, Math.floor(SYN / 2 ** level));
  db.prepare('insert into audit_entries (idx, leaf_hash, entry, type, actor, subject, time) values (?, ?, ?, ?, ?, ?, ?)').run(0, randomBytes(32), Buffer.from('{}'), 'a.b', 'os:x', 's:y', 't');
  db.prepare('insert into audit_checkpoints (size, root_hash, note, created_at) values (?, ?, ?, ?)').run(SYN, randomBytes(32), 'synthetic', 't');
  db.close();
  const fillS = (performance.now() - t) / 1000;
  const store = await openStore({ url: path });
  const reps = 500;
  let t2 = performance.now();
  for (let i = 0; i < reps; i++) await proveInclusion(store, 0, SYN);
  const inc = (performance.now() - t2) / reps;
  t2 = performance.now();
  for (let i = 0; i < reps; i++) await proveConsistency(store, 1 + ((i * 7_000_003) % (SYN - 1)), SYN);
  const con = (performance.now() - t2) / reps;
  rows.push(['proofs, SQLite (synthetic node table)', `size ${fmt(SYN)} (${fillS.toFixed(0)} s to fill)`, `inclusion ${inc.toFixed(3)} ms, consistency ${con.toFixed(3)} ms`, `mean of ${reps}`]);
  await store.close();
}

console.log('| case | input | result | time |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
rmSync(out, { recursive: true, force: true });
