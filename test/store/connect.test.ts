import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { expect, it, describe } from 'vitest';
import { openStore, redact, type Store } from '../../src/store/index.js';
import { describeWithService } from '../support/services.js';
import { openTestPostgres, openTestSqlite } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';

/** The same behaviour, checked on each real database. */
function storeContract(open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>): void {
  it('migrates to the audit schema, once', async () => {
    const { store, cleanup } = await open();
    try {
      const state = await store.db.selectFrom('audit_state').selectAll().execute();
      expect(state.map((r) => ({ id: Number(r.id), size: Number(r.size) }))).toEqual([{ id: 1, size: 0 }]);
    } finally {
      await cleanup();
    }
  });

  it('round-trips bytes and big indices', async () => {
    const { store, cleanup } = await open();
    try {
      const hash = randomBytes(32);
      await store.db.insertInto('audit_nodes').values({ level: 3, idx: 2 ** 40, hash }).execute();
      const row = await store.db.selectFrom('audit_nodes').selectAll().where('level', '=', 3).executeTakeFirstOrThrow();
      expect(Number(row.idx)).toBe(2 ** 40);
      expect(Buffer.from(row.hash).equals(hash)).toBe(true);
    } finally {
      await cleanup();
    }
  });
}

describe('SQLite store', () => {
  storeContract(openTestSqlite);

  it('reopens an existing database without migrating twice', async () => {
    const path = join(tempDir(), 'palisade.db');
    const a = await openStore({ url: `sqlite:${path}` });
    await a.db.updateTable('audit_state').set({ size: 7 }).execute();
    await a.close();
    const b = await openStore({ url: path });
    expect(Number((await b.db.selectFrom('audit_state').select('size').executeTakeFirstOrThrow()).size)).toBe(7);
    await b.close();
  });

  it('takes the write lock when a transaction begins, so a reader turned writer never meets a stale snapshot', async () => {
    // A deferred `begin` would read under a snapshot and fail with SQLITE_BUSY_SNAPSHOT at its first write if another
    // process committed in between; busy_timeout does not cover that case. Another connection must see the lock held
    // from the start of the transaction, and get it back once the transaction ends.
    const path = join(tempDir(), 'palisade.db');
    const store = await openStore({ url: path });
    const other = new BetterSqlite3(path);
    other.pragma('busy_timeout = 0');
    try {
      await store.db.transaction().execute(async (trx) => {
        await trx.selectFrom('audit_state').select('size').executeTakeFirstOrThrow();
        expect(() => other.prepare('update audit_state set size = 1').run()).toThrow(/database is locked/);
        await trx.updateTable('audit_state').set({ size: 2 }).execute();
      });
      other.prepare('update audit_state set size = size + 1').run();
      expect(Number((await store.db.selectFrom('audit_state').select('size').executeTakeFirstOrThrow()).size)).toBe(3);
    } finally {
      other.close();
      await store.close();
    }
  });

  it('names the problem when the file cannot be opened', async () => {
    await expect(openStore({ url: '/nonexistent/dir/palisade.db' })).rejects.toThrow(/cannot open SQLite database/);
    await expect(openStore({ url: 'mysql://x@y/z' })).rejects.toThrow(/unsupported store URL/);
  });
});

await describeWithService('postgres', 'PostgreSQL store', () => {
  storeContract(openTestPostgres);

  it('migrates a second schema in a database that already holds one', async () => {
    const first = await openTestPostgres();
    try {
      const second = await openTestPostgres();
      expect(Number((await second.store.db.selectFrom('audit_state').select('size').executeTakeFirstOrThrow()).size)).toBe(0);
      await second.cleanup();
    } finally {
      await first.cleanup();
    }
  });

  it('names the server when it cannot connect, without the password', async () => {
    await expect(openStore({ url: 'postgres://u:secret@127.0.0.1:1/x' })).rejects.toThrow(/cannot connect to PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x/);
  });
});

it('redacts passwords', () => {
  expect(redact('postgres://a:b@h:5432/d')).toBe('postgres://a:***@h:5432/d');
});
