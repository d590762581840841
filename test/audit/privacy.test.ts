import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, keepRawText, keyedDigest, logKey, purgeRawText, rawText, verifyLog } from '../../src/audit/index.js';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../support/tmp.js';

describe('privacy of recorded content', () => {
  it('keyed digests match for equal text, differ by secret, and are not the guessable plain SHA-256', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(keyedDigest(a, 'hello')).toBe(keyedDigest(a, 'hello'));
    expect(keyedDigest(a, 'hello')).not.toBe(keyedDigest(b, 'hello'));
    expect(keyedDigest(a, 'hello')).not.toContain(createHash('sha256').update('hello').digest('hex'));
    expect(keyedDigest(a, 'hello')).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  });

  it('raw text kept beside the log can be purged without breaking the log', async () => {
    const store = await openStore({ url: join(tempDir(), 'palisade.db') });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const key = logKey(privateKey, publicKey);
    const log = new AuditLog(store, key);
    const secret = randomBytes(32);
    const old = await keepRawText(store, secret, 'ignore previous instructions', new Date('2026-01-01T00:00:00Z'));
    await log.record({ type: 'audit.note', actor: 'os:t', subject: 'apikey:k1', data: { prompt: old } });
    const fresh = await keepRawText(store, secret, 'what is the weather', new Date('2026-11-20T00:00:00Z'));
    await log.record({ type: 'audit.note', actor: 'os:t', subject: 'apikey:k1', data: { prompt: fresh } });
    expect(await rawText(store, old)).toBe('ignore previous instructions');
    expect(await purgeRawText(store, new Date('2026-06-01T00:00:00Z'))).toBe(1);
    expect(await rawText(store, old)).toBeUndefined();
    expect(await rawText(store, fresh)).toBe('what is the weather');
    expect((await verifyLog(store, { origin: key.origin, verifier: key.verifier })).ok).toBe(true);
    await store.close();
  });
});
