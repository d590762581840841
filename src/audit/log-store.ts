import { sql, type Kysely } from 'kysely';
import type { Database, Store } from '../store/index.js';
import { AuditError } from './errors.js';
import type { NodeKey, NodeReader } from './merkle.js';

/** Drivers bind Buffer, not every Uint8Array view (better-sqlite3 rejects plain views): wrap without copying. */
export const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * Runs `fn` holding the log's append lock, in one transaction: `BEGIN IMMEDIATE` in SQLite (the write lock is
 * taken at once, so two processes never compute the same next index), `SELECT … FOR UPDATE` of the state row in
 * PostgreSQL. Everything `fn` writes commits together or not at all.
 */
export async function withAppendLock<T>(store: Store, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') {
    return store.db.transaction().execute(async (trx) => {
      await trx.selectFrom('audit_state').select('size').where('id', '=', 1).forUpdate().execute();
      return fn(trx);
    });
  }
  // The connection is held (Kysely's lock on it) for the whole transaction; the transaction statements themselves
  // run as cached prepared statements, since Kysely's driver prepares every statement anew.
  const st = sqliteStatements(store.sqlite!);
  return store.db.connection().execute(async (conn) => {
    st.begin.run();
    try {
      const out = await fn(conn);
      st.commit.run();
      return out;
    } catch (err) {
      try {
        if (store.sqlite!.inTransaction) st.rollback.run();
      } catch {
        // The transaction is already gone; the error that got here is the one to report.
      }
      throw err;
    }
  });
}

interface Statement {
  run(...a: unknown[]): unknown;
  get(...a: unknown[]): unknown;
}

/** The append path's statements on one SQLite connection, prepared once (SQLite compiles each in tens of µs). */
export interface SqliteStatements {
  begin: Statement;
  commit: Statement;
  rollback: Statement;
  state: Statement;
  setSize: Statement;
  checkpoint: Statement;
  entry: Statement;
  node: Statement;
}

const prepared = new WeakMap<object, SqliteStatements>();

export function sqliteStatements(raw: NonNullable<Store['sqlite']>): SqliteStatements {
  let st = prepared.get(raw);
  if (st === undefined) {
    st = {
      begin: raw.prepare('begin immediate'),
      commit: raw.prepare('commit'),
      rollback: raw.prepare('rollback'),
      state: raw.prepare('select size, origin, active_key from audit_state where id = 1'),
      setSize: raw.prepare('update audit_state set size = ? where id = 1'),
      checkpoint: raw.prepare('insert into audit_checkpoints (size, root_hash, note, created_at) values (?, ?, ?, ?)'),
      entry: raw.prepare('insert into audit_entries (idx, leaf_hash, entry, type, actor, subject, time) values (?, ?, ?, ?, ?, ?, ?)'),
      node: raw.prepare('insert into audit_nodes (level, idx, hash) values (?, ?, ?)'),
    };
    prepared.set(raw, st);
  }
  return st;
}

/**
 * Fetches stored complete-subtree hashes by key, one query per 200 keys: the leaves (level 0) from the entries'
 * `leaf_hash`, the subtrees above them from `audit_nodes`, joined with UNION ALL.
 */
export async function fetchNodes(db: Kysely<Database>, keys: readonly NodeKey[]): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < keys.length; i += 200) {
    const part = keys.slice(i, i + 200);
    const leaves = part.filter((k) => k.level === 0).map((k) => k.index);
    const inner = part.filter((k) => k.level > 0);
    const fromEntries = db.selectFrom('audit_entries').select([sql<number>`0`.as('level'), 'idx', 'leaf_hash as hash']).where('idx', 'in', leaves);
    const fromNodes = db
      .selectFrom('audit_nodes')
      .select(['level', 'idx', 'hash'])
      .where((eb) => eb.or(inner.map((k) => eb.and([eb('level', '=', k.level), eb('idx', '=', k.index)]))));
    const query = leaves.length === 0 ? fromNodes : inner.length === 0 ? fromEntries : fromEntries.unionAll(fromNodes);
    for (const r of await query.execute()) out.set(nodeKey(Number(r.level), Number(r.idx)), new Uint8Array(r.hash));
  }
  return out;
}

export const nodeKey = (level: number, index: number): string => `${level}:${index}`;

/** A NodeReader over the store: every proof is one query. */
export function storeReader(db: Kysely<Database>): NodeReader {
  const getMany = async (keys: readonly NodeKey[]): Promise<Uint8Array[]> => {
    const found = await fetchNodes(db, keys);
    return keys.map((k) => {
      const h = found.get(nodeKey(k.level, k.index));
      if (h === undefined) throw new AuditError('AUDIT_NODE_INVALID', `the store has no node at level ${k.level} index ${k.index}`);
      return h;
    });
  };
  return { getMany, get: async (level, index) => (await getMany([{ level, index }]))[0]! };
}

/** Inserts rows in chunks that stay under both drivers' bound-parameter limits. */
export async function insertChunked<T extends keyof Database>(db: Kysely<Database>, table: T, rows: Database[T][], perChunk = 400): Promise<void> {
  for (let i = 0; i < rows.length; i += perChunk) {
    // Kysely's insert types are per-table generics; the rows are exactly the table's row type.
    await db.insertInto(table).values(rows.slice(i, i + perChunk) as never).execute();
  }
}

/**
 * Writes a batch's entries and nodes. On SQLite, cached prepared statements on the connection Kysely holds for the
 * transaction (a multi-row INSERT through the query builder costs more in SQL compilation than SQLite spends
 * storing the rows); on PostgreSQL, one `INSERT … SELECT FROM unnest(arrays)` per table, so a batch of any size is
 * two statements with seven and three parameters.
 */
export async function insertBatch(store: Store, db: Kysely<Database>, entries: Database['audit_entries'][], nodes: Database['audit_nodes'][]): Promise<void> {
  const raw = store.sqlite;
  if (raw === undefined) {
    const col = <T, K extends keyof T>(rows: T[], k: K): T[K][] => rows.map((r) => r[k]);
    if (entries.length > 0) {
      await sql`insert into audit_entries (idx, leaf_hash, entry, type, actor, subject, time)
        select * from unnest(${col(entries, 'idx')}::bigint[], ${col(entries, 'leaf_hash')}::bytea[], ${col(entries, 'entry')}::bytea[],
          ${col(entries, 'type')}::text[], ${col(entries, 'actor')}::text[], ${col(entries, 'subject')}::text[], ${col(entries, 'time')}::text[])`.execute(db);
    }
    if (nodes.length > 0) {
      await sql`insert into audit_nodes (level, idx, hash)
        select * from unnest(${col(nodes, 'level')}::integer[], ${col(nodes, 'idx')}::bigint[], ${col(nodes, 'hash')}::bytea[])`.execute(db);
    }
    return;
  }
  const st = sqliteStatements(raw);
  for (const e of entries) st.entry.run(e.idx, e.leaf_hash, e.entry, e.type, e.actor, e.subject, e.time);
  for (const n of nodes) st.node.run(n.level, n.idx, n.hash);
}
