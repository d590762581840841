import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../../src/model/scan/archive/lzma-crc.js';
import { ARCHIVE_RULES } from '../../../../src/model/scan/archive/rules.js';
import { SEVENZIP_RULES } from '../../../../src/model/scan/archive/sevenzip-rules.js';
import { mutate, mutation } from './mutations.js';
import { readArchive, scan7z } from './sevenzip-support.js';

const ALLOWED = new Set([...Object.keys(SEVENZIP_RULES), ...Object.keys(ARCHIVE_RULES), 'scan-incomplete']);

const ARCHIVES = [
  'copy-7zz.7z',
  'lzma2-7zz.7z',
  'lzma-7zz.7z',
  'lzma1-py7zr.7z',
  'lzma2-py7zr.7z',
  'nonsolid-7zz.7z',
  'deflate-7zz.7z',
  'delta-7zz.7z',
  'encrypted-header-py7zr.7z',
  'symlink-hand.7z',
  'traversal.7z',
  'anti.7z',
  'nullifai.7z',
].map(readArchive);

/** Archives whose header is stored plain, so a header mutation with fixed-up CRCs reaches the parser. */
const PLAIN = ['copy-7zz.7z', 'nonsolid-7zz.7z', 'symlink-hand.7z', 'traversal.7z', 'anti.7z', 'benign-names.7z'].map(readArchive);

/** Recomputes the next-header and start-header CRCs so that a mutated archive passes both checks. */
function fixCrcs(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 32) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const start = 32 + Number(view.getBigUint64(12, true));
  const size = Number(view.getBigUint64(20, true));
  if (start + size <= bytes.length) view.setUint32(28, crc32(bytes.subarray(start, start + size)), true);
  view.setUint32(8, crc32(bytes.subarray(12, 32)), true);
  return bytes;
}

async function scanNeverThrows(bytes: Uint8Array): Promise<void> {
  // Small limits keep each run fast; the properties are about robustness, not about big inputs.
  const r = await scan7z(bytes, { maxTotalInflated: 4_000_000, maxInMemoryBytes: 1_000_000, maxMetadataBytes: 1_000_000 });
  for (const rule of r.rules) expect(ALLOWED.has(rule), rule).toBe(true);
}

describe('7z reader under fuzzing', () => {
  it('mutated archives: findings, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: ARCHIVES.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (k, muts) => {
        await scanNeverThrows(mutate(ARCHIVES[k]!, muts));
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('mutated plain headers with valid CRCs: the parser itself is fuzzed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: PLAIN.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (k, muts) => {
        const clean = PLAIN[k]!;
        const view = new DataView(clean.buffer, clean.byteOffset, clean.length);
        const start = 32 + Number(view.getBigUint64(12, true));
        // Mutate only the header, keep the rest, and make the start header point at the mutated header.
        const header = mutate(clean.subarray(start), muts);
        const bytes = new Uint8Array(start + header.length);
        bytes.set(clean.subarray(0, start));
        bytes.set(header, start);
        new DataView(bytes.buffer).setBigUint64(20, BigInt(header.length), true);
        await scanNeverThrows(fixCrcs(bytes));
      }),
      { seed: 42, numRuns: 1500 },
    );
  });

  it('random bytes behind a valid signature header', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 600 }), async (body, headerAt) => {
        const bytes = new Uint8Array(32 + body.length);
        bytes.set([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]);
        bytes.set(body, 32);
        const at = Math.min(headerAt, body.length);
        const view = new DataView(bytes.buffer);
        view.setBigUint64(12, BigInt(at), true);
        view.setBigUint64(20, BigInt(body.length - at), true);
        await scanNeverThrows(fixCrcs(bytes));
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('plain random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        await scanNeverThrows(bytes);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
