import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AuditLog, checkpointBody, logKey, proveConsistency, proveInclusion, verifyConsistency, verifyInclusion, verifyLog } from '../../src/audit/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { describeWithService } from '../support/services.js';
import { openTestPostgres, openTestSqlite } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';

const fromHex = (h: string): Uint8Array => Buffer.from(h, 'hex');

function newKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return logKey(privateKey, publicKey);
}

const ev = (i: number) => ({ type: 'audit.note', actor: 'os:tester', subject: `model:m@${i}`, data: { i } });

/** One behaviour, checked on each real database. */
function logContract(open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>): void {
  const withLog = async (fn: (log: AuditLog, store: Store) => Promise<void>): Promise<void> => {
    const { store, cleanup } = await open();
    try {
      await fn(new AuditLog(store, newKey(), { now: () => new Date('2026-11-23T10:00:00.123Z') }), store);
    } finally {
      await cleanup();
    }
  };

  it('records events in batches, with canonical entries and a signed checkpoint per batch', () =>
    withLog(async (log, store) => {
      const first = await Promise.all(Array.from({ length: 50 }, (_, i) => log.record(ev(i))));
      expect(first.map((r) => r.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(new Set(first.map((r) => r.checkpointSize))).toEqual(new Set([50]));
      const one = await log.record(ev(50));
      expect(one).toMatchObject({ index: 50, checkpointSize: 51, time: '2026-11-23T10:00:00.123Z' });
      const p = await proveInclusion(store, 3);
      expect(p.entry).toBe('{"actor":"os:tester","data":{"i":3},"subject":"model:m@3","time":"2026-11-23T10:00:00.123Z","type":"audit.note"}');
      const cp = checkpointBody(p.checkpoint.note, log.key.origin);
      expect(cp.size).toBe(51);
      verifyInclusion(3, 51, fromHex(p.leafHash), p.proof.map(fromHex), cp.rootHash);
      const c = await proveConsistency(store, 50, 51);
      const old = await proveInclusion(store, 0, 50);
      verifyConsistency(50, 51, fromHex(old.checkpoint.rootHash), fromHex(c.checkpoint.rootHash), c.proof.map(fromHex));
      expect(await verifyLog(store, { origin: log.key.origin, verifier: log.key.verifier })).toEqual({ ok: true, size: 51, checkpoints: 2 });
    }));

  it('rejects malformed events with a clear error', () =>
    withLog(async (log) => {
      expect(() => log.record({ type: 'Bad Type', actor: 'os:x', subject: 'model:a@1', data: {} })).toThrow(/dotted lowercase/);
      expect(() => log.record({ type: 'a.b', actor: 'nobody', subject: 'model:a@1', data: {} })).toThrow(/kind:value/);
    }));

  it('makes deferred events when their batch is written, and rejects a bad one alone', () =>
    withLog(async (log, store) => {
      let made = 0;
      const data = (i: number) => (): Record<string, unknown> => {
        made++;
        return { i };
      };
      const good = [0, 1, 2].map((i) => log.recordDeferred({ type: 'audit.note', actor: 'os:tester', subject: `model:m@${i}`, data: data(i) }));
      const badType = log.recordDeferred({ type: 'Bad Type', actor: 'os:tester', subject: 'model:m@9', data: data(9) });
      const throws = log.recordDeferred({
        type: 'audit.note',
        actor: 'os:tester',
        subject: 'model:m@8',
        data: () => {
          throw new Error('no data today');
        },
      });
      const rotation = log.recordDeferred({ type: 'audit.key_rotated', actor: 'os:tester', subject: 'logkey:x', data: data(7) });
      const plain = log.record(ev(3));
      // Nothing is made until the batch is taken.
      expect(made).toBe(0);
      await expect(badType).rejects.toThrow(/dotted lowercase/);
      await expect(throws).rejects.toThrow(/no data today/);
      await expect(rotation).rejects.toThrow(/only by a key rotation/);
      const recorded = await Promise.all([...good, plain]);
      expect(recorded.map((r) => r.index)).toEqual([0, 1, 2, 3]);
      const rows = await store.db.selectFrom('audit_entries').select(['idx', 'entry']).orderBy('idx').execute();
      expect(rows.map((r) => JSON.parse(Buffer.from(r.entry).toString('utf8')).data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }]);
      expect(await verifyLog(store, { origin: log.key.origin, verifier: log.key.verifier })).toMatchObject({ ok: true, size: 4 });
    }));

  it('records background events beside awaited ones, and reports each one it cannot record to its callback', () =>
    withLog(async (log, store) => {
      const errors: { subject: string; err: unknown }[] = [];
      const background = (subject: string, data: () => Record<string, unknown>, type = 'audit.note'): void =>
        log.recordInBackground({ type, actor: 'os:tester', subject, data }, (err) => errors.push({ subject, err }));
      background('model:m@0', () => ({ i: 0 }));
      const awaited = log.record(ev(1));
      background('model:m@2', () => ({ i: 2 }));
      background('model:m@bad', () => ({ i: 9 }), 'Bad Type');
      background('model:m@throws', () => {
        throw new Error('no data today');
      });
      background('model:m@3', () => ({ i: 3 }));
      await log.flush();
      expect((await awaited).index).toBe(1);
      expect(errors.map((e) => [e.subject, String(e.err)])).toEqual([
        ['model:m@bad', expect.stringMatching(/dotted lowercase/)],
        ['model:m@throws', 'Error: no data today'],
      ]);
      const rows = await store.db.selectFrom('audit_entries').select(['idx', 'entry']).orderBy('idx').execute();
      expect(rows.map((r) => JSON.parse(Buffer.from(r.entry).toString('utf8')).data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }]);
      expect(await verifyLog(store, { origin: log.key.origin, verifier: log.key.verifier })).toMatchObject({ ok: true, size: 4 });

      // A batch that fails to commit (here: another process rotated the log's key) reports every background entry.
      await store.db.updateTable('audit_state').set({ active_key: 'someone-else' }).where('id', '=', 1).execute();
      background('model:m@4', () => ({ i: 4 }));
      background('model:m@5', () => ({ i: 5 }));
      await log.flush();
      expect(errors.slice(2).map((e) => [e.subject, (e.err as { code?: string }).code])).toEqual([
        ['model:m@4', 'AUDIT_KEY_ROTATED'],
        ['model:m@5', 'AUDIT_KEY_ROTATED'],
      ]);
      const { n } = await store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(n)).toBe(4);
    }));

  describe('tampering is found and located', () => {
    const tampered = async (mutate: (store: Store) => Promise<void>): Promise<Awaited<ReturnType<typeof verifyLog>>> => {
      let out: Awaited<ReturnType<typeof verifyLog>> | undefined;
      await withLog(async (log, store) => {
        for (let b = 0; b < 4; b++) await Promise.all(Array.from({ length: 10 }, (_, i) => log.record(ev(b * 10 + i))));
        await mutate(store);
        out = await verifyLog(store, { origin: log.key.origin, verifier: log.key.verifier, pageSize: 7 });
      });
      return out!;
    };

    it('a changed entry', async () => {
      const r = await tampered((s) => sql`update audit_entries set entry = ${Buffer.from('{"type":"x"}')} where idx = 17`.execute(s.db).then(() => undefined));
      expect(r).toMatchObject({ ok: false, firstBadIndex: 17 });
      expect(r.reason).toContain('entry 17 was changed');
    });

    it('a changed entry whose leaf hash was rewritten to match', async () => {
      const entry = Buffer.from('{"actor":"os:evil","data":{},"subject":"model:m@23","time":"2026-11-23T10:00:00.123Z","type":"audit.note"}');
      const { leafHash } = await import('../../src/audit/merkle.js');
      const r = await tampered((s) => sql`update audit_entries set entry = ${entry}, leaf_hash = ${Buffer.from(leafHash(entry))}, actor = 'os:evil' where idx = 23`.execute(s.db).then(() => undefined));
      // The leaf is stored once, in its entry row, so the first stored hash to disagree is the pair's node.
      expect(r).toMatchObject({ ok: false, firstBadIndex: 22 });
      expect(r.reason).toMatch(/node \(level 1, index 11\) does not match the entries: an entry in \[22, 24\)/);
    });

    it('the last entry, rewritten with its leaf hash before its pair is complete, against the checkpoints', async () => {
      let out: Awaited<ReturnType<typeof verifyLog>> | undefined;
      await withLog(async (log, store) => {
        await Promise.all(Array.from({ length: 9 }, (_, i) => log.record(ev(i))));
        const entry = Buffer.from('{"actor":"os:evil","data":{},"subject":"model:m@8","time":"2026-11-23T10:00:00.123Z","type":"audit.note"}');
        const { leafHash } = await import('../../src/audit/merkle.js');
        await sql`update audit_entries set entry = ${entry}, leaf_hash = ${Buffer.from(leafHash(entry))}, actor = 'os:evil' where idx = 8`.execute(store.db);
        out = await verifyLog(store, { origin: log.key.origin, verifier: log.key.verifier });
      });
      expect(out).toMatchObject({ ok: false });
      expect(out!.reason).toContain('the checkpoint of size 9 does not match the entries');
    });

    it('a deleted entry', async () => {
      const r = await tampered((s) => s.db.deleteFrom('audit_entries').where('idx', '=', 5).execute().then(() => undefined));
      expect(r).toMatchObject({ ok: false, firstBadIndex: 5 });
    });

    it('reordered entries', async () => {
      const r = await tampered(async (s) => {
        await sql`update audit_entries set idx = -1 where idx = 8`.execute(s.db);
        await sql`update audit_entries set idx = 8 where idx = 9`.execute(s.db);
        await sql`update audit_entries set idx = 9 where idx = -1`.execute(s.db);
      });
      expect(r).toMatchObject({ ok: false, firstBadIndex: 8 });
    });

    it('an inserted entry', async () => {
      const r = await tampered(async (s) => {
        const row = await s.db.selectFrom('audit_entries').selectAll().where('idx', '=', 39).executeTakeFirstOrThrow();
        await s.db.insertInto('audit_entries').values({ ...row, idx: 40 }).execute();
      });
      expect(r).toMatchObject({ ok: false, firstBadIndex: 40 });
    });

    it('a forged checkpoint', async () => {
      const r = await tampered((s) => sql`update audit_checkpoints set note = replace(note, 'palisade', 'palisadX') where size = 20`.execute(s.db).then(() => undefined));
      expect(r.ok).toBe(false);
      expect(r.reason).toMatch(/checkpoint of size 20/);
    });
  });
}

describe('audit log on SQLite', () => {
  logContract(openTestSqlite);

  it('a store from before leaves lived in their entry rows is migrated and still proves and verifies', async () => {
    const key = newKey();
    const path = join(tempDir(), 'palisade.db');
    const store = await openStore({ url: path });
    const log = new AuditLog(store, key);
    await Promise.all(Array.from({ length: 13 }, (_, i) => log.record(ev(i))));
    // The layout before migration 0007: every leaf also stored as a level-0 node.
    await sql`insert into audit_nodes (level, idx, hash) select 0, idx, leaf_hash from audit_entries`.execute(store.db);
    await sql`delete from palisade_migrations where name = '0007_audit_leaves_in_entries'`.execute(store.db);
    await store.close();
    const reopened = await openStore({ url: path });
    try {
      const leaves = await sql<{ n: number }>`select count(*) as n from audit_nodes where level = 0`.execute(reopened.db);
      expect(Number(leaves.rows[0]!.n)).toBe(0);
      expect(await verifyLog(reopened, { origin: key.origin, verifier: key.verifier })).toMatchObject({ ok: true, size: 13 });
      // Entry 5's proof starts with its sibling leaf 4, read from the entry rows.
      const p = await proveInclusion(reopened, 5);
      const cp = checkpointBody(p.checkpoint.note, key.origin);
      expect(p.proof[0]).toBe((await proveInclusion(reopened, 4)).leafHash);
      expect(() => verifyInclusion(5, 13, fromHex(p.leafHash), p.proof.map(fromHex), cp.rootHash)).not.toThrow();
      await new AuditLog(reopened, key).record(ev(13));
      expect(await verifyLog(reopened, { origin: key.origin, verifier: key.verifier })).toMatchObject({ ok: true, size: 14 });
    } finally {
      await reopened.close();
    }
  });

  it('catches a history rebuilt with the key, given a checkpoint published before', async () => {
    const key = newKey();
    const store = await openStore({ url: join(tempDir(), 'palisade.db') });
    const log = new AuditLog(store, key);
    for (let i = 0; i < 5; i++) await log.record(ev(i));
    const published = (await proveInclusion(store, 0)).checkpoint.note;
    await store.close();
    // The attacker holds the database and the key: they rebuild a consistent, re-signed false history.
    const forged = await openStore({ url: join(tempDir(), 'forged.db') });
    const flog = new AuditLog(forged, key);
    for (let i = 0; i < 5; i++) await flog.record({ ...ev(i), actor: i === 2 ? 'os:mallory' : 'os:tester' });
    expect((await verifyLog(forged, { origin: key.origin, verifier: key.verifier })).ok).toBe(true);
    const r = await verifyLog(forged, { origin: key.origin, verifier: key.verifier, publishedCheckpoint: published });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/no longer match the published checkpoint of size 5/);
    await forged.close();
  });

  it('lets two processes append to one file without sharing an index', async () => {
    const path = join(tempDir(), 'palisade.db');
    const key = newKey();
    const a = await openStore({ url: path });
    const b = await openStore({ url: path });
    const la = new AuditLog(a, key);
    const lb = new AuditLog(b, key);
    // Rounds in which both append, and rounds in which one appends twice: each log's cached tree edge must be
    // dropped whenever the other has appended since, and reused only when it has not.
    const results = [];
    for (let round = 0; round < 6; round++) {
      const writers = round % 3 === 2 ? [la, la] : [la, lb];
      for (const w of writers) results.push(...(await Promise.all(Array.from({ length: 17 }, (_, i) => w.record(ev(results.length + i))))));
      results.push(...(await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? la : lb).record(ev(i))))));
    }
    expect(results.length).toBe(300);
    expect(new Set(results.map((r) => r.index)).size).toBe(300);
    expect(await verifyLog(a, { origin: key.origin, verifier: key.verifier })).toMatchObject({ ok: true, size: 300 });
    await a.close();
    await b.close();
  });
});

await describeWithService('postgres', 'audit log on PostgreSQL', () => {
  logContract(openTestPostgres);
});
