import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { verifyInclusion } from '../../src/audit/index.js';
import { parseCheckpoint } from '../../src/audit/checkpoint.js';
import { run } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const fromHex = (h: string): Uint8Array => Buffer.from(h, 'hex');

/** A home whose log holds the first admin (entry 0, recorded by init) and then `n` notes, `model:m@i` at index i + 1. */
async function homeWithEvents(n: number): Promise<string> {
  const d = tempDir();
  expect((await run(['init'], { cwd: d })).code).toBe(0);
  for (let i = 0; i < n; i++) {
    const r = await run(['audit', 'record', '--type', 'audit.note', '--subject', `model:m@${i}`, '--data', `{"i":${i}}`, '--json'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ index: i + 1, leafHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  }
  return d;
}

describe('palisade audit', () => {
  it('records, checkpoints, proves and verifies from the command line', async () => {
    const d = await homeWithEvents(6);
    const cp = await run(['audit', 'checkpoint', '--json', '--out', 'cp.note'], { cwd: d });
    expect(cp.code).toBe(0);
    const checkpoint = JSON.parse(cp.stdout);
    expect(checkpoint).toMatchObject({ size: 7, rootHash: expect.stringMatching(/^[0-9a-f]{64}$/), note: expect.stringContaining('\n\n— palisade/') });
    const prove = JSON.parse((await run(['audit', 'prove', '--index', '2', '--json'], { cwd: d })).stdout);
    expect(prove).toMatchObject({ index: 2, size: 7 });
    verifyInclusion(2, 7, fromHex(prove.leafHash), prove.proof.map(fromHex), parseCheckpoint(checkpoint.note.slice(0, checkpoint.note.indexOf('\n\n') + 1)).rootHash);
    const cons = await run(['audit', 'consistency', '--from', '3', '--json'], { cwd: d });
    expect(JSON.parse(cons.stdout)).toMatchObject({ from: 3, to: 7 });
    const ok = await run(['audit', 'verify', '--json', '--from-checkpoint', 'cp.note'], { cwd: d });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, size: 7, checkpoints: 8 });
  });

  it('exports an evidence bundle that verifies offline with only the public key, and rejects a doctored one', async () => {
    const d = await homeWithEvents(9);
    const ex = await run(['audit', 'export', '--from', '2', '--to', '5', '-o', 'b.json'], { cwd: d });
    expect(ex.code, ex.stderr).toBe(0);
    // Another machine: a folder with only the bundle and the public key, no home, no database.
    const other = tempDir();
    writeFileSync(join(other, 'b.json'), readFileSync(join(d, 'b.json')));
    writeFileSync(join(other, 'log.pub'), readFileSync(join(d, '.palisade', 'keys', 'log.pub')));
    const ok = await run(['audit', 'verify-bundle', 'b.json', '--key', 'log.pub', '--json'], { cwd: other });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, entries: 4, size: 10 });
    const bundle = JSON.parse(readFileSync(join(other, 'b.json'), 'utf8'));
    bundle.entries[1].entry = bundle.entries[1].entry.replace('model:m@2', 'model:m@7');
    writeFileSync(join(other, 'bad.json'), JSON.stringify(bundle));
    const bad = await run(['audit', 'verify-bundle', 'bad.json', '--key', 'log.pub', '--json'], { cwd: other });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, firstBadIndex: 3 });
    // A different log's key: the checkpoint is not signed by it.
    const stranger = await homeWithEvents(1);
    const wrongKey = await run(['audit', 'verify-bundle', join(other, 'b.json'), '--key', join(stranger, '.palisade', 'keys', 'log.pub')], { cwd: other });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toContain('the given key is not a key of this log');
  });

  it('tails and searches entries for an investigation', async () => {
    const d = await homeWithEvents(4);
    await run(['audit', 'record', '--type', 'model.promoted', '--subject', 'model:m@2', '--actor', 'os:alice'], { cwd: d });
    const tail = JSON.parse((await run(['audit', 'tail', '-n', '2', '--json'], { cwd: d })).stdout);
    expect(tail.map((e: { index: number }) => e.index)).toEqual([4, 5]);
    const found = JSON.parse((await run(['audit', 'search', '--actor', 'os:alice', '--json'], { cwd: d })).stdout);
    expect(found).toMatchObject([{ index: 5, type: 'model.promoted', subject: 'model:m@2' }]);
    const since = await run(['audit', 'search', '--since', 'yesterday'], { cwd: d });
    expect(since.code).toBe(2);
  });

  it('points at the entry someone changed by hand in the database', async () => {
    const d = await homeWithEvents(5);
    const db = new BetterSqlite3(join(d, '.palisade', 'palisade.db'));
    db.prepare("update audit_entries set entry = replace(entry, 'model:m@2', 'model:m@9') where idx = 3").run();
    db.close();
    const r = await run(['audit', 'verify'], { cwd: d });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/TAMPERED: entry 3 was changed.*first bad index 3/);
  });

  it('exits 2 with a clear message on bad input', async () => {
    const d = await homeWithEvents(1);
    const bad = await run(['audit', 'record', '--type', 'audit.note', '--subject', 'model:a@1', '--data', '{oops'], { cwd: d });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--data is not JSON');
    const far = await run(['audit', 'prove', '--index', '99'], { cwd: d });
    expect(far.code).toBe(2);
    expect(far.stderr).toContain('index 99 is not in the checkpoint of size 2');
    const none = await run(['audit', 'verify'], { cwd: tempDir() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('run palisade init');
  });

  it('rotates the log key: the old key announces the new one, verify and bundles follow the chain', async () => {
    const d = await homeWithEvents(3);
    const keysDir = join(d, '.palisade', 'keys');
    const firstPub = readFileSync(join(keysDir, 'log.pub'));
    const rot = await run(['audit', 'rotate-key', '--json'], { cwd: d });
    expect(rot.code, rot.stderr).toBe(0);
    const out = JSON.parse(rot.stdout);
    expect(out).toMatchObject({ index: 4, checkpointSize: 5, origin: expect.stringMatching(/^palisade\/[0-9a-f]{8}$/) });
    const firstId = out.origin.slice('palisade/'.length);
    expect(readFileSync(join(keysDir, `log-${firstId}.pub`))).toEqual(firstPub);
    expect(readFileSync(join(keysDir, 'log.pub'))).not.toEqual(firstPub);
    expect(existsSync(join(keysDir, 'log.next.ed25519'))).toBe(false);
    expect((await run(['audit', 'record', '--type', 'audit.note', '--subject', 'model:m@9'], { cwd: d })).code).toBe(0);
    expect(JSON.parse((await run(['audit', 'verify', '--json'], { cwd: d })).stdout)).toEqual({ ok: true, size: 6, checkpoints: 6 });
    const search = JSON.parse((await run(['audit', 'search', '--type', 'audit.key_rotated', '--json'], { cwd: d })).stdout);
    expect(search).toMatchObject([{ index: 4, subject: expect.stringMatching(/^logkey:[0-9a-f]{8}$/), data: { previousKey: out.previousKey, newKey: out.newKey } }]);
    // An auditor holding either key verifies a bundle exported after the rotation.
    expect((await run(['audit', 'export', '--from', '0', '--to', '4', '-o', 'b.json'], { cwd: d })).code).toBe(0);
    for (const key of [join(keysDir, `log-${firstId}.pub`), join(keysDir, 'log.pub')]) {
      const v = await run(['audit', 'verify-bundle', 'b.json', '--key', key, '--json'], { cwd: d });
      expect(v.code, v.stdout).toBe(0);
    }
    const stranger = await homeWithEvents(1);
    const wrong = await run(['audit', 'verify', '--key', join(stranger, '.palisade', 'keys', 'log.pub')], { cwd: d });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('did not start this log');
  });

  it('finishes a key rotation that stopped after the log announced it, and drops one that never reached the log', async () => {
    const d = await homeWithEvents(2);
    const home = join(d, '.palisade');
    const p = await import('../../src/index.js');
    // Stopped before the announcement: the staged key is dropped and the old key goes on signing.
    p.stageNextLogKey(home);
    expect((await run(['audit', 'record', '--type', 'audit.note', '--subject', 'model:m@5'], { cwd: d })).code).toBe(0);
    expect(existsSync(join(home, 'keys', 'log.next.ed25519'))).toBe(false);
    // Stopped after the announcement was committed but before the key files moved.
    const keys = p.loadHomeKeys(home);
    const store = await p.openStore({ url: join(home, 'palisade.db') });
    const log = new p.AuditLog(store, p.logKey(keys.logPrivate, keys.logPublic));
    const staged = p.stageNextLogKey(home);
    await log.rotateKey(p.logKey(staged, createPublicKey(staged), log.key.origin), 'os:admin');
    await store.close();
    const r = await run(['audit', 'record', '--type', 'audit.note', '--subject', 'model:m@6', '--json'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(home, 'keys', 'log.next.ed25519'))).toBe(false);
    expect(createPublicKey(readFileSync(join(home, 'keys', 'log.pub'))).equals(createPublicKey(staged))).toBe(true);
    expect(JSON.parse((await run(['audit', 'verify', '--json'], { cwd: d })).stdout)).toMatchObject({ ok: true, size: 6 });
  });

  it('purges raw text past its retention and records the purge; the log still verifies', async () => {
    const d = await homeWithEvents(1);
    const home = join(d, '.palisade');
    writeFileSync(join(home, 'config.yaml'), 'version: 1\naudit:\n  rawText: true\n  retentionDays: 7\n');
    const p = await import('../../src/index.js');
    const store = await p.openStore({ url: join(home, 'palisade.db') });
    const secret = p.loadHomeKeys(home).digestSecret;
    const old = await p.keepRawText(store, secret, 'an old prompt', new Date(Date.now() - 8 * 86_400_000));
    const recent = await p.recordText(store, secret, 'a recent prompt', true);
    expect(await p.recordText(store, secret, 'not kept', false)).toBe(p.keyedDigest(secret, 'not kept'));
    await store.close();
    const r = await run(['audit', 'purge', '--json'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ purged: 1, index: 2 });
    const again = await p.openStore({ url: join(home, 'palisade.db') });
    expect(await p.rawText(again, old)).toBeUndefined();
    expect(await p.rawText(again, recent)).toBe('a recent prompt');
    expect(await p.rawText(again, p.keyedDigest(secret, 'not kept'))).toBeUndefined();
    await again.close();
    expect(JSON.parse((await run(['audit', 'verify', '--json'], { cwd: d })).stdout)).toMatchObject({ ok: true, size: 3 });
    writeFileSync(join(home, 'config.yaml'), 'version: 1\naudit:\n  retentionDays: 0\n');
    const bad = await run(['audit', 'purge'], { cwd: d });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/retentionDays/);
  });

  it('loses nothing it confirmed when the process is killed with SIGKILL', async () => {
    const d = tempDir();
    await run(['init'], { cwd: d });
    const lib = join(import.meta.dirname, '..', '..', 'dist', 'index.js');
    const script = join(d, 'writer.mjs');
    writeFileSync(
      script,
      `const p = await import(${JSON.stringify(lib)});
const keys = p.loadHomeKeys(${JSON.stringify(join(d, '.palisade'))});
const store = await p.openStore({ url: ${JSON.stringify(join(d, '.palisade', 'palisade.db'))} });
const log = new p.AuditLog(store, p.logKey(keys.logPrivate, keys.logPublic));
for (let i = 0; ; i++) {
  const batch = await Promise.all(Array.from({ length: 20 }, (_, j) => log.record({ type: 'audit.note', actor: 'os:t', subject: 'model:m@' + (i * 20 + j), data: {} })));
  process.stdout.write(batch.map((r) => r.index).join('\\n') + '\\n');
}
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const confirmed: number[] = [];
    await new Promise<void>((resolveKill) => {
      child.stdout.on('data', (b: Buffer) => {
        for (const line of b.toString().split('\n')) if (line !== '') confirmed.push(Number(line));
        if (confirmed.length >= 300 && !child.killed) {
          child.kill('SIGKILL');
          resolveKill();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const db = new BetterSqlite3(join(d, '.palisade', 'palisade.db'), { readonly: true });
    const stored = new Set((db.prepare('select idx from audit_entries').all() as { idx: number }[]).map((r) => r.idx));
    db.close();
    for (const i of confirmed) expect(stored.has(i), `confirmed entry ${i} was lost`).toBe(true);
    const v = await run(['audit', 'verify', '--json'], { cwd: d });
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true });
  });
});
