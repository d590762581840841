import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLzma2Decoder } from '../../../../src/model/scan/archive/lzma.js';
import { createBcjX86Filter, createDeltaFilter, type ChunkFilter } from '../../../../src/model/scan/archive/sevenzip-filters.js';
import { VECTOR_DIR, readVector } from './lzma-vectors.js';

interface FilterVector {
  file: string;
  filter: 'x86' | 'delta4' | 'delta1';
  dictSize: number;
  size: number;
  sha256: string;
}

const FILTERS = JSON.parse(readFileSync(VECTOR_DIR + 'filters.json', 'utf8')) as FilterVector[];

/** LZMA2-decodes a liblzma [filter, LZMA2] raw stream, then runs the filter over the output in `step`-byte pieces. */
function unfilter(v: FilterVector, step: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const dec = createLzma2Decoder(v.dictSize);
  dec.push(readVector(v.file), (b) => parts.push(b));
  dec.end((b) => parts.push(b));
  const filtered = Buffer.concat(parts);
  const f: ChunkFilter = v.filter === 'x86' ? createBcjX86Filter() : createDeltaFilter(Uint8Array.of(v.filter === 'delta4' ? 3 : 0));
  const out: Uint8Array[] = [];
  for (let i = 0; i < filtered.length; i += step) out.push(f.push(filtered.subarray(i, i + step)));
  out.push(f.end());
  return Buffer.concat(out);
}

describe('7z filters against liblzma', () => {
  it.each(FILTERS.flatMap((v) => [1, 5, 4096, 1 << 20].map((step) => [v.file, step, v] as const)))(
    '%s in %i-byte pieces',
    (_file, step, v) => {
      const out = unfilter(v, step);
      expect(out.length).toBe(v.size);
      expect(createHash('sha256').update(out).digest('hex')).toBe(v.sha256);
    },
  );

  it('BCJ holds back at most 4 bytes and passes short input through at the end', () => {
    const f = createBcjX86Filter();
    expect(f.push(Uint8Array.of(0xe8, 1, 2))).toEqual(new Uint8Array(0));
    expect(f.end()).toEqual(Uint8Array.of(0xe8, 1, 2));
  });
});
