/**
 * The SQLite work of an audit append alone, by table layout: the statements one batch runs (begin, the entry rows,
 * the node rows, the size, commit) through better-sqlite3, with gateway-sized entries, for each layout in turn inside
 * one process, so a shared machine's changing speed falls on all alike. Prints the CPU per entry (process user +
 * system time over the batches after the first tenth) and the commit's part. Nothing written.
 *
 *   npx tsx bench/audit-sqlite-rows.ts [--batches 2000] [--batch 75]
 *
 * Layouts: `before` (every leaf also a level-0 row of audit_nodes, as until migration 0007), `now` (leaves only in
 * the entry rows), `now, no secondary indexes` (without the type/actor/subject/time indexes that audit search uses),
 * `now, multi-row inserts` (25 rows per INSERT) and `now, WITHOUT ROWID nodes`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';

const { values } = parseArgs({ options: { batches: { type: 'string', default: '2000' }, batch: { type: 'string', default: '75' } } });
const BATCHES = Number(values.batches);
const B = Number(values.batch);
const out = join(import.meta.dirname, 'out', 'audit-sqlite-rows');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

interface Layout {
  name: string;
  leafRows: boolean;
  indexes: boolean;
  multi: boolean;
  withoutRowid: boolean;
}
const layouts: Layout[] = [
  { name: 'before: leaves also level-0 node rows', leafRows: true, indexes: true, multi: false, withoutRowid: false },
  { name: 'now: leaves only in the entry rows', leafRows: false, indexes: true, multi: false, withoutRowid: false },
  { name: 'now, no secondary indexes', leafRows: false, indexes: false, multi: false, withoutRowid: false },
  { name: 'now, multi-row inserts (25 rows)', leafRows: false, indexes: true, multi: true, withoutRowid: false },
  { name: 'now, WITHOUT ROWID nodes', leafRows: false, indexes: true, multi: false, withoutRowid: true },
];
const rows = layouts.map((l, n) => {
  const db = new BetterSqlite3(join(out, `${n}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('create table audit_entries (idx integer primary key, leaf_hash blob not null, entry blob not null, type text not null, actor text not null, subject text not null, time text not null)');
  if (l.indexes) for (const c of ['type', 'actor', 'subject', 'time']) db.exec(`create index audit_entries_${c} on audit_entries (${c})`);
  db.exec(`create table audit_nodes (level integer not null, idx integer not null, hash blob not null, primary key (level, idx))${l.withoutRowid ? ' without rowid' : ''}`);
  db.exec('create table audit_state (id integer primary key, size integer not null)');
  db.exec('insert into audit_state values (1, 0)');
  return {
    l,
    begin: db.prepare('begin immediate'),
    commit: db.prepare('commit'),
    entry: db.prepare('insert into audit_entries values (?, ?, ?, ?, ?, ?, ?)'),
    node: db.prepare('insert into audit_nodes values (?, ?, ?)'),
    entries25: db.prepare(`insert into audit_entries values ${Array(25).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`),
    nodes25: db.prepare(`insert into audit_nodes values ${Array(25).fill('(?, ?, ?)').join(', ')}`),
    size: db.prepare('update audit_state set size = ? where id = 1'),
    next: 0,
    cpu: 0,
    commitCpu: 0,
    counted: 0,
  };
});
// A gateway request entry as the log stores it (433 bytes).
const entry = Buffer.from('{"actor":"apikey:efd9cd6f2afd","data":{"completionTokens":13,"endpoint":"chat","latencyMs":1.77,"promptDigest":"hmac-sha256:2717ec1df7af48bbc4eeb024dd8c7935cb39464a2efd6192795665223fbc71ba","promptTokens":320,"responseDigest":"hmac-sha256:0ab4e36550be829cff99154c1accc1b727265c98e9313fa0d6729f891dc240d7","route":"primary","status":200,"stream":true},"subject":"model:chat","time":"2026-11-23T23:42:04.065Z","type":"gateway.request"}');
const us = (c: NodeJS.CpuUsage): number => c.user + c.system;

for (let b = 0; b < BATCHES; b++) {
  for (const r of rows) {
    // The hashes are drawn before the clock starts: only SQLite's work is timed.
    const time = new Date().toISOString();
    const entryRows: unknown[][] = [];
    const nodeRows: unknown[][] = [];
    for (let i = 0; i < B; i++) {
      const idx = r.next++;
      entryRows.push([idx, randomBytes(32), entry, 'gateway.request', 'apikey:efd9cd6f2afd', 'model:chat', time]);
      if (r.l.leafRows) nodeRows.push([0, idx, randomBytes(32)]);
      for (let level = 1, j = idx; j % 2 === 1; level++, j = (j - 1) / 2) nodeRows.push([level, (j - 1) / 2, randomBytes(32)]);
    }
    const c0 = process.cpuUsage();
    r.begin.run();
    for (const [list, one, many] of [[entryRows, r.entry, r.entries25], [nodeRows, r.node, r.nodes25]] as const) {
      let i = 0;
      if (r.l.multi) for (; i + 25 <= list.length; i += 25) many.run(list.slice(i, i + 25).flat());
      for (; i < list.length; i++) one.run(list[i]);
    }
    r.size.run(r.next);
    const c1 = process.cpuUsage(c0);
    r.commit.run();
    const c2 = process.cpuUsage(c0);
    if (b >= BATCHES / 10) {
      r.cpu += us(c2);
      r.commitCpu += us(c2) - us(c1);
      r.counted += B;
    }
  }
}
console.log(`${BATCHES} batches of ${B} entries per layout, interleaved; CPU per entry (of which the commit):`);
for (const r of rows) console.log(`  ${r.l.name.padEnd(40)} ${(r.cpu / r.counted).toFixed(1)} µs (commit ${(r.commitCpu / r.counted).toFixed(1)})`);
rmSync(out, { recursive: true, force: true });
