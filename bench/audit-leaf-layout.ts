/**
 * Proof generation over the two leaf layouts the audit log has had, on one synthetic log: leaves read from the entry
 * rows' `leaf_hash` (the layout since migration 0007, through the library's store reader) against leaves kept as
 * level-0 rows of `audit_nodes` (the layout before, read as the old reader did). The tables are filled directly with
 * random hashes, both copies of the leaves included, so both readers see the same database and the same page cache.
 * Three rounds of 300 inclusion and 300 consistency proofs each, alternating; prints the p50 of each. Nothing written.
 *
 *   npm run build && npx tsx bench/audit-leaf-layout.ts [--entries 10000000]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import type * as LogStore from '../src/audit/log-store.js';
import type { NodeKey, NodeReader } from '../src/audit/merkle.js';
import type * as Proof from '../src/audit/proof.js';
import type * as StoreModule from '../src/store/index.js';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '10000000' } } });
const N = Number(values.entries);
const root = join(import.meta.dirname, '..');
const { openStore } = (await import(join(root, 'dist', 'store', 'index.js'))) as typeof StoreModule;
const { storeReader } = (await import(join(root, 'dist', 'audit', 'log-store.js'))) as typeof LogStore;
const { inclusionProof, consistencyProof } = (await import(join(root, 'dist', 'audit', 'proof.js'))) as typeof Proof;
const out = join(import.meta.dirname, 'out', 'audit-leaf-layout');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const path = join(out, 'synthetic.db');
await (await openStore({ url: path })).close();

const t = performance.now();
const raw = new BetterSqlite3(path);
raw.pragma('journal_mode = WAL');
raw.pragma('synchronous = OFF');
const node = raw.prepare('insert into audit_nodes (level, idx, hash) values (?, ?, ?)');
const entry = raw.prepare('insert into audit_entries (idx, leaf_hash, entry, type, actor, subject, time) values (?, ?, ?, ?, ?, ?, ?)');
const blob = Buffer.from('{}');
raw.transaction(() => {
  for (let level = 0; 2 ** level <= N; level++) for (let i = 0; i < Math.floor(N / 2 ** level); i++) node.run(level, i, randomBytes(32));
  for (let i = 0; i < N; i++) entry.run(i, randomBytes(32), blob, 'a.b', 'os:x', 's:y', 't');
})();
raw.close();
console.log(`${N.toLocaleString('en-US')} entries filled in ${((performance.now() - t) / 1000).toFixed(0)} s`);

const store = await openStore({ url: path });
const key = (level: number, index: number): string => `${level}:${index}`;
/** The reader before migration 0007: every level, leaves included, from audit_nodes. */
const before: NodeReader = {
  getMany: async (keys: readonly NodeKey[]) => {
    const found = new Map<string, Uint8Array>();
    for (let i = 0; i < keys.length; i += 200) {
      const part = keys.slice(i, i + 200);
      const rows = await store.db
        .selectFrom('audit_nodes')
        .select(['level', 'idx', 'hash'])
        .where((eb) => eb.or(part.map((k) => eb.and([eb('level', '=', k.level), eb('idx', '=', k.index)]))))
        .execute();
      for (const r of rows) found.set(key(r.level, Number(r.idx)), new Uint8Array(r.hash));
    }
    return keys.map((k) => found.get(key(k.level, k.index))!);
  },
  get: async (level, index) => (await before.getMany!([{ level, index }]))[0]!,
};
const readers: [string, NodeReader][] = [
  ['leaves as level-0 node rows (before)', before],
  ['leaves from the entry rows (now)', storeReader(store.db)],
];
const p50 = (xs: number[]): string => [...xs].sort((a, b) => a - b)[xs.length >> 1]!.toFixed(3);
for (let round = 1; round <= 3; round++) {
  for (const [name, reader] of readers) {
    const inclusion: number[] = [];
    const consistency: number[] = [];
    for (let i = 0; i < 300; i++) {
      const index = (i * 7919) % N;
      let t0 = performance.now();
      await inclusionProof(index, N, reader);
      inclusion.push(performance.now() - t0);
      t0 = performance.now();
      await consistencyProof(Math.max(1, index), N, reader);
      consistency.push(performance.now() - t0);
    }
    console.log(`round ${round}, ${name}: inclusion p50 ${p50(inclusion)} ms, consistency p50 ${p50(consistency)} ms`);
  }
}
await store.close();
rmSync(out, { recursive: true, force: true });
