import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countRows, formatManifest, parquetRows, parseManifest, snapshotDataset, verifyDataset } from '../../src/data/index.js';
import { serializeModel } from '../../src/hashing/index.js';
import { isBug } from '../support/fuzz.js';
import { tempDir } from '../support/tmp.js';

/** Thrift compact protocol, just enough to write a Parquet FileMetaData footer. */
const uvarint = (n: bigint): number[] => {
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out.push(b);
  } while (n > 0n);
  return out;
};
const zz = (n: bigint): number[] => uvarint(n >= 0n ? n << 1n : ((-n) << 1n) - 1n);
const field = (delta: number, type: number, body: number[]): number[] => [(delta << 4) | type, ...body];
const str = (s: string): number[] => [...uvarint(BigInt(s.length)), ...Buffer.from(s)];

function parquet(rows: bigint, extra: number[] = []): Buffer {
  const schemaElement = [...field(4, 8, str('schema')), ...field(1, 5, zz(1n)), 0]; // name (4), num_children (5)
  const column = [...field(1, 5, zz(1n)), ...field(3, 8, str('id')), 0]; // type (1), name (4)
  const footer = [
    ...field(1, 5, zz(2n)), // version
    ...field(1, 9, [(2 << 4) | 12, ...schemaElement, ...column]), // schema: list<struct> of 2
    ...field(1, 6, zz(rows)), // num_rows
    ...field(1, 9, [(0 << 4) | 12]), // row_groups: empty list
    ...extra,
    ...field(2, 8, str('palisade test writer')), // created_by (6)
    0,
  ];
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length);
  return Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(16), Buffer.from(footer), len, Buffer.from('PAR1')]);
}

function dataset(): string {
  const d = join(tempDir(), 'ds');
  mkdirSync(join(d, 'train'), { recursive: true });
  writeFileSync(join(d, 'train', 'a.csv'), 'id,text\n1,"multi\nline"\n2,plain\n\n3,"quote ""x"""');
  writeFileSync(join(d, 'train', 'b.jsonl'), '{"a":1}\n\n{"a":2}\n   \n{"a":3}\n');
  writeFileSync(join(d, 'c.parquet'), parquet(42n));
  writeFileSync(join(d, 'README.md'), '# data');
  return d;
}

describe('row counting', () => {
  it('counts CSV records after the header (quoted newlines belong to fields), JSONL non-blank lines, Parquet num_rows', async () => {
    const d = dataset();
    expect(await countRows(join(d, 'train', 'a.csv'), 'csv', 0)).toBe(3);
    expect(await countRows(join(d, 'train', 'b.jsonl'), 'jsonl', 0)).toBe(3);
    const p = parquet(1_234_567_890_123n);
    writeFileSync(join(d, 'big.parquet'), p);
    expect(await countRows(join(d, 'big.parquet'), 'parquet', p.length)).toBe(1_234_567_890_123);
  });

  it('reports damaged Parquet footers instead of throwing, and never crashes on mutated ones', async () => {
    const read = (b: Buffer) => (o: number, l: number) => Promise.resolve(b.subarray(o, o + l));
    const p = parquet(7n);
    expect(await parquetRows(p.length, read(p))).toBe(7);
    expect(await parquetRows(4, read(Buffer.from('PAR1')))).toMatch(/too short/);
    const noMagic = Buffer.concat([p.subarray(0, p.length - 4), Buffer.from('XXXX')]);
    expect(await parquetRows(noMagic.length, read(noMagic))).toMatch(/no PAR1/);
    const huge = Buffer.from(p);
    huge.writeUInt32LE(0xffffffff, p.length - 8);
    expect(await parquetRows(huge.length, read(huge))).toMatch(/impossible/);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: p.length - 9 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (edits) => {
        const b = Buffer.from(p);
        for (const [at, v] of edits) b[at] = v;
        try {
          const r = await parquetRows(b.length, read(b));
          expect(typeof r === 'number' || typeof r === 'string').toBe(true);
        } catch (err) {
          if (isBug(err)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('dataset manifests', () => {
  it('snapshots with digests, sizes and rows; the root digest is the OMS files-method root; output is stable', async () => {
    const d = dataset();
    const { manifest, warnings } = await snapshotDataset(d, { name: 'ds' });
    expect(warnings).toEqual([]);
    expect(manifest.entries.map((e) => [e.path, e.rows])).toEqual([
      ['README.md', undefined],
      ['c.parquet', 42],
      ['train/a.csv', 3],
      ['train/b.jsonl', 3],
    ]);
    expect(manifest.rows).toBe(48);
    expect(manifest.rootDigest).toBe((await serializeModel(d)).rootDigest);
    const text = formatManifest(manifest);
    expect(text.split('\n').filter((l) => l.includes('"sha256":'))).toHaveLength(4);
    expect(formatManifest((await snapshotDataset(d, { name: 'ds' })).manifest)).toBe(text);
    expect(parseManifest(text)).toEqual(JSON.parse(text));
  });

  it('verify names modified, added and removed files and catches an edited manifest', async () => {
    const d = dataset();
    const { manifest } = await snapshotDataset(d, { name: 'ds' });
    expect((await verifyDataset(d, manifest)).ok).toBe(true);
    writeFileSync(join(d, 'train', 'a.csv'), 'id\n1\n');
    writeFileSync(join(d, 'new.jsonl'), '{}\n');
    const r = await verifyDataset(d, manifest);
    expect(r).toMatchObject({ ok: false, consistent: true, diff: { modified: ['train/a.csv'], added: ['new.jsonl'], removed: [] } });
    const edited = { ...manifest, entries: manifest.entries.map((e) => (e.path === 'train/a.csv' ? { ...e, sha256: '0'.repeat(64) } : e)) };
    expect((await verifyDataset(d, edited)).consistent).toBe(false);
  });

  it('refuses malformed manifests with reasons', () => {
    const ok = { format: 'palisade.dataset-manifest/v1', name: 'x', hashType: 'sha256', rootDigest: '0'.repeat(64), files: 0, bytes: 0, ignorePaths: [], entries: [] };
    expect(() => parseManifest('nope')).toThrow(/not JSON/);
    expect(() => parseManifest(JSON.stringify({ ...ok, format: 'x' }))).toThrow(/format is not/);
    expect(() => parseManifest(JSON.stringify({ ...ok, entries: [{ path: 'a', size: -1, sha256: '0'.repeat(64) }] }))).toThrow(/entry 0/);
    const e = { size: 1, sha256: '0'.repeat(64) };
    expect(() => parseManifest(JSON.stringify({ ...ok, entries: [{ path: 'b', ...e }, { path: 'a', ...e }] }))).toThrow(/not sorted/);
    expect(() => parseManifest(JSON.stringify({ ...ok, ignorePaths: ['../x'] }))).toThrow(/ignorePaths/);
  });
});
