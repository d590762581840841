import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparePaths, compareCodePoints, diffResources, hashAll, HashingError, listModel, rootDigest, serializeModel, spanOf, type Resource } from '../../src/hashing/index.js';
import { buildReferenceModel, REFERENCE_MODELS } from '../support/reference-models.js';
import { tempDir } from '../support/tmp.js';

const REF = join(import.meta.dirname, '..', 'fixtures', 'sign', 'reference');
const lines = (rs: Resource[]): string => rs.map((r) => `${r.name}:${r.digest}\n`).join('');

describe('serializeModel against the reference implementation', () => {
  for (const kind of REFERENCE_MODELS) {
    for (const [mode, golden, opts] of [
      ['files', `file--${kind}`, { method: 'files' }],
      ['shards', `file_shard--${kind}`, { method: 'shards' }],
      ['small shards', `file_shard--${kind}_small_shards`, { method: 'shards', shardSize: 8 }],
    ] as const) {
      it(`${kind}, ${mode}: manifest lines are byte-identical`, async () => {
        const model = buildReferenceModel(kind, tempDir());
        const s = await serializeModel(model, { ...opts, allowSymlinks: true });
        expect(lines(s.resources)).toBe(readFileSync(join(REF, 'serialization', golden), 'utf8'));
      });
    }
    for (const [suffix, opts] of [
      ['', { method: 'files' }],
      ['_shard', { method: 'shards' }],
      ['_small_shards', { method: 'shards', shardSize: 8 }],
    ] as const) {
      it(`${kind}${suffix}: resources, order and root digest match the reference payload`, async () => {
        const model = buildReferenceModel(kind, tempDir());
        const s = await serializeModel(model, { ...opts, allowSymlinks: true });
        const want = JSON.parse(readFileSync(join(REF, 'payload', `${kind}${suffix}.json`), 'utf8'));
        expect(s.rootDigest).toBe(want.subject[0].digest.sha256);
        expect(s.resources.map((r) => [r.name, r.digest])).toEqual(want.predicate.resources.map((r: Resource) => [r.name, r.digest]));
        expect(s.params.method).toBe(want.predicate.serialization.method);
        if (opts.method === 'shards') expect(s.params.shardSize).toBe(want.predicate.serialization.shard_size);
      });
    }
  }

  it('orders by path components (a/b before a-b) and numeric shard offsets, as the reference does', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'a'));
    for (const n of ['a/b', 'a-b', 'a.b', 'a0']) writeFileSync(join(root, n), `file ${n} with more than sixteen bytes`);
    const files = await serializeModel(root);
    expect(files.resources.map((r) => r.name)).toEqual(['a/b', 'a-b', 'a.b', 'a0']);
    const shards = await serializeModel(root, { method: 'shards', shardSize: 8 });
    expect(shards.resources.filter((r) => r.name.startsWith('a0:')).map((r) => r.name)).toEqual(['a0:0:8', 'a0:8:16', 'a0:16:24', 'a0:24:32', 'a0:32:36']);
    expect(files.rootDigest).toBe(rootDigest(files.resources));
  });

  it('hashes across worker threads with the same result as in this thread', async () => {
    const root = tempDir();
    const big = Buffer.alloc(9 << 20);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    writeFileSync(join(root, 'big.bin'), big);
    writeFileSync(join(root, 'small.txt'), 'tiny');
    const progress: number[] = [];
    const threaded = await serializeModel(root, { method: 'shards', shardSize: 1 << 20, threads: 2, onBytes: (n) => progress.push(n) });
    const single = await serializeModel(root, { method: 'shards', shardSize: 1 << 20, threads: 1 });
    expect(threaded.resources).toEqual(single.resources);
    expect(threaded.resources).toHaveLength(10);
    expect(progress.reduce((a, b) => a + b, 0)).toBe(big.length + 4);
    const files = await serializeModel(root, { threads: 2 });
    expect(files.resources.map((r) => r.name)).toEqual(['big.bin', 'small.txt']);
  });

  it('supports blake2b and refuses unknown hash types and shard sizes', async () => {
    const root = buildReferenceModel('sample_model_folder', tempDir());
    const b = await serializeModel(root, { hashType: 'blake2b' });
    expect(b.resources[0]!.digest).toHaveLength(128);
    expect(b.resources[0]!.algorithm).toBe('blake2b');
    await expect(serializeModel(root, { hashType: 'md5' as 'sha256' })).rejects.toMatchObject({ code: 'HASHING_OPTION_INVALID' });
    await expect(serializeModel(root, { method: 'shards', shardSize: 0 })).rejects.toMatchObject({ code: 'HASHING_OPTION_INVALID' });
    const big = tempDir();
    writeFileSync(join(big, 'w'), Buffer.alloc(2_000_001));
    await expect(serializeModel(big, { method: 'shards', shardSize: 2 })).rejects.toThrow(/more than the 1000000 allowed/);
  });
});

describe('listModel', () => {
  it('ignores git paths at the top level only, user paths, and the signature file; records them', async () => {
    const root = tempDir();
    mkdirSync(join(root, '.git'));
    writeFileSync(join(root, '.git', 'HEAD'), 'x');
    writeFileSync(join(root, '.gitignore'), 'x');
    mkdirSync(join(root, 'sub', '.git'), { recursive: true });
    writeFileSync(join(root, 'sub', '.git', 'kept'), 'x');
    mkdirSync(join(root, 'logs'));
    writeFileSync(join(root, 'logs', 'a'), 'x');
    writeFileSync(join(root, 'model.sig'), 'x');
    writeFileSync(join(root, 'w.bin'), 'x');
    const l = await listModel(root, { ignorePaths: ['./logs/'], exclude: [join(root, 'model.sig')] });
    expect(l.files.map((f) => f.name)).toEqual(['sub/.git/kept', 'w.bin']);
    expect(l.ignorePaths).toEqual(['.git', '.gitattributes', '.github', '.gitignore', 'logs', 'model.sig']);
  });

  it('refuses symbolic links unless allowed, links to folders always, and bad ignore paths', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'real'), 'x');
    symlinkSync(join(root, 'real'), join(root, 'link'));
    await expect(listModel(root)).rejects.toMatchObject({ code: 'HASHING_SYMLINK_REFUSED' });
    expect((await listModel(root, { allowSymlinks: true })).files.map((f) => f.name)).toEqual(['link', 'real']);
    expect((await listModel(root, { ignorePaths: ['link'] })).files.map((f) => f.name)).toEqual(['real']);
    mkdirSync(join(root, 'd'));
    symlinkSync(join(root, 'd'), join(root, 'dirlink'));
    await expect(listModel(root, { allowSymlinks: true })).rejects.toMatchObject({ code: 'HASHING_SYMLINK_REFUSED' });
    await expect(listModel(root, { ignorePaths: ['../x'] })).rejects.toMatchObject({ code: 'HASHING_IGNORE_INVALID' });
    await expect(listModel(root, { ignorePaths: ['/etc'] })).rejects.toBeInstanceOf(HashingError);
    await expect(listModel(join(root, 'missing'))).rejects.toMatchObject({ code: 'HASHING_PATH_NOT_FOUND' });
  });

  it('refuses names that are not valid UTF-8', async () => {
    const root = tempDir();
    writeFileSync(Buffer.concat([Buffer.from(root + '/'), Buffer.from([0x66, 0xff, 0x66])]), 'x');
    await expect(listModel(root)).rejects.toMatchObject({ code: 'HASHING_NAME_INVALID' });
  });
});

describe('ordering and manifest comparison', () => {
  it('compares by code point, not UTF-16 unit', () => {
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect('\u{1F600}' < '\uFFFD').toBe(true);
    expect(comparePaths('a/b', 'a-b')).toBeLessThan(0);
  });

  it('parses shard names at the last two colons and rejects malformed ones', () => {
    expect(spanOf('a:b:0:8', true)).toEqual({ path: 'a:b', start: 0, end: 8 });
    for (const bad of ['a:8:0', 'a:01:8', 'a:0', ':0:8', 'a:-1:8', 'a:0:99999999999999999']) expect(spanOf(bad, true)).toBeUndefined();
  });

  it('reports modified, added and removed files', () => {
    const r = (name: string, digest: string): Resource => ({ name, algorithm: 'sha256', digest });
    const d = diffResources([r('a', '00'), r('b', '11'), r('c', '22')], [r('a', '00'), r('b', '12'), r('d', '33')], false);
    expect(d).toEqual({ modified: ['b'], added: ['d'], removed: ['c'] });
    const s = diffResources([r('f:0:8', '00'), r('f:8:9', '01')], [r('f:0:8', '00')], true);
    expect(s.modified).toEqual(['f']);
  });
});

describe('hashAll (worker threads)', () => {
  it('reports unreadable files and files that got shorter, naming them', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'f'), 'short');
    await expect(hashAll([{ path: join(root, 'missing'), start: 0, end: 1, whole: true, algorithm: 'sha256' }], 2)).rejects.toMatchObject({ code: 'HASHING_READ_FAILED', message: expect.stringContaining('missing') });
    await expect(hashAll([{ path: join(root, 'f'), start: 0, end: 100, algorithm: 'sha256' }, { path: join(root, 'f'), start: 0, end: 5, algorithm: 'sha256' }], 2)).rejects.toMatchObject({ code: 'HASHING_FILE_CHANGED' });
    const ok = await hashAll([{ path: join(root, 'f'), start: 1, end: 4, algorithm: 'sha256' }], 4);
    expect(ok[0]).toEqual({ digest: createHash('sha256').update('hor').digest('hex'), bytes: 3 });
    expect(await hashAll([], 2)).toEqual([]);
  });
});
