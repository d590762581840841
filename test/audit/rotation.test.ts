import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditLog, checkpointOf, exportBundle, logKey, logVerifier, originOf, verifyBundle, verifyLog, type LogKey } from '../../src/audit/index.js';
import { parseNote } from '../../src/audit/note.js';
import type { Store } from '../../src/store/index.js';
import { describeWithService } from '../support/services.js';
import { openTestPostgres, openTestSqlite, type TestStore } from '../support/stores.js';

const pair = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('ed25519');
const ev = (i: number) => ({ type: 'audit.note', actor: 'os:tester', subject: `model:m@${i}`, data: { i } });

/** A log with a first key, the keys' public halves, and helpers to rotate. */
async function fixture(store: Store) {
  const first = pair();
  const key0 = logKey(first.privateKey, first.publicKey);
  const log = new AuditLog(store, key0);
  const next = (): { key: LogKey; publicKey: KeyObject } => {
    const k = pair();
    return { key: logKey(k.privateKey, k.publicKey, key0.origin), publicKey: k.publicKey };
  };
  const verify = (publishedCheckpoint?: string) => verifyLog(store, { ...logVerifier(first.publicKey), ...(publishedCheckpoint === undefined ? {} : { publishedCheckpoint }) });
  return { log, key0, first, next, verify };
}

function rotationContract(open: () => Promise<TestStore>): void {
  const withStore = async (fn: (store: Store) => Promise<void>): Promise<void> => {
    const { store, cleanup } = await open();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  };

  it('hands over to a new key announced in the log and signed by the old; verify follows the chain from the first key', () =>
    withStore(async (store) => {
      const { log, key0, next, verify } = await fixture(store);
      for (let i = 0; i < 5; i++) await log.record(ev(i));
      const published = (await checkpointOf(store))!.note;
      const k1 = next();
      const r = await log.rotateKey(k1.key, 'os:admin');
      expect(r).toMatchObject({ index: 5, checkpointSize: 6 });
      expect(log.key.vkey).toBe(k1.key.vkey);
      // The announcement's checkpoint carries both keys' signatures; later ones only the new key's.
      expect(parseNote((await checkpointOf(store, 6))!.note).signatures.map((s) => s.keyId)).toEqual([key0.signer.keyId, k1.key.signer.keyId]);
      await Promise.all([7, 8, 9].map((i) => log.record(ev(i))));
      expect(parseNote((await checkpointOf(store))!.note).signatures.map((s) => s.keyId)).toEqual([k1.key.signer.keyId]);
      const k2 = next();
      await log.rotateKey(k2.key, 'os:admin');
      await log.record(ev(10));
      expect(await verify()).toMatchObject({ ok: true, size: 11 });
      // A witness's checkpoint from before the rotations still holds the log to its past.
      expect(await verify(published)).toMatchObject({ ok: true, size: 11 });
      // The origin never changes.
      expect((await store.db.selectFrom('audit_state').select(['origin', 'active_key']).executeTakeFirstOrThrow())).toEqual({ origin: key0.origin, active_key: k2.key.vkey });
    }));

  it('refuses appends from a process still holding a retired key', () =>
    withStore(async (store) => {
      const { log, key0, next } = await fixture(store);
      await log.record(ev(0));
      await log.rotateKey(next().key, 'os:admin');
      const stale = new AuditLog(store, key0);
      await expect(stale.record(ev(1))).rejects.toMatchObject({ code: 'AUDIT_KEY_ROTATED' });
      const otherLog = logKey(pair().privateKey, pair().publicKey);
      await expect(new AuditLog(store, otherLog).record(ev(1))).rejects.toMatchObject({ code: 'AUDIT_KEY_INVALID' });
      expect(() => log.record({ ...ev(2), type: 'audit.key_rotated' })).toThrow(/only by a key rotation/);
    }));

  it('rejects a rotation the retiring key did not sign, one the new key did not sign, and a return to a retired key', async () => {
    // A signer that claims one key's identity but signs with another's private key.
    const impostor = (claimed: LogKey, actual: KeyObject): LogKey => ({ ...claimed, signer: { ...claimed.signer, sign: (m) => sign(null, m, actual) } });
    await withStore(async (store) => {
      const { log, next, verify } = await fixture(store);
      await log.record(ev(0));
      const k1 = next();
      await log.rotateKey(impostor(k1.key, pair().privateKey), 'os:admin');
      expect(await verify()).toMatchObject({ ok: false, firstBadIndex: 1, reason: expect.stringMatching(/not signed by the key it announces/) });
    });
    await withStore(async (store) => {
      const { key0, next, verify } = await fixture(store);
      // The log's key is stolen in name only: whoever rotates must hold the first key's private half.
      const forged = new AuditLog(store, impostor(key0, pair().privateKey));
      await forged.record(ev(0)).catch(() => undefined);
      await forged.rotateKey(next().key, 'os:mallory');
      expect(await verify()).toMatchObject({ ok: false });
      expect((await verify()).reason).toMatch(/signature does not verify|not signed by the key it retires/);
    });
    await withStore(async (store) => {
      const { log, key0, first, next, verify } = await fixture(store);
      await log.record(ev(0));
      await log.rotateKey(next().key, 'os:admin');
      await log.rotateKey(logKey(first.privateKey, first.publicKey, key0.origin), 'os:admin');
      expect(await verify()).toMatchObject({ ok: false, firstBadIndex: 2, reason: expect.stringMatching(/returns to a key this log already used/) });
    });
  });

  it('bundles carry the rotations, so an auditor holding any of the log keys verifies offline', () =>
    withStore(async (store) => {
      const { log, key0, first, next } = await fixture(store);
      for (let i = 0; i < 4; i++) await log.record(ev(i));
      const k1 = next();
      await log.rotateKey(k1.key, 'os:admin');
      const k2 = next();
      await log.rotateKey(k2.key, 'os:admin');
      for (let i = 0; i < 3; i++) await log.record(ev(10 + i));
      const bundle = await exportBundle(store, key0.origin, 1, 7);
      expect(bundle.rotations?.map((r) => r.index)).toEqual([4, 5]);
      for (const k of [first.publicKey, k1.publicKey, k2.publicKey]) expect(verifyBundle(bundle, k)).toEqual({ ok: true, entries: 7, size: 9 });
      expect(verifyBundle(bundle, pair().publicKey)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a key of this log/) });
      // Without the rotations, the first key cannot reach the checkpoint's signer.
      expect(verifyBundle({ ...bundle, rotations: [] }, first.publicKey)).toMatchObject({ ok: false });
      expect(verifyBundle({ ...bundle, rotations: bundle.rotations!.slice(1) }, first.publicKey)).toMatchObject({ ok: false });
      // A rotation entry doctored in the bundle no longer proves inclusion.
      const doctored = structuredClone(bundle);
      doctored.rotations![0]!.entry = doctored.rotations![0]!.entry.replace('os:admin', 'os:mallor');
      expect(verifyBundle(doctored, first.publicKey)).toMatchObject({ ok: false, reason: expect.stringMatching(/key rotation/) });
      expect(originOf(first.publicKey)).toBe(key0.origin);
    }));
}

describe('audit key rotation on SQLite', () => {
  rotationContract(openTestSqlite);
});

await describeWithService('postgres', 'audit key rotation on PostgreSQL', () => {
  rotationContract(openTestPostgres);
});
