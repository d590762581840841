import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { BufferBlob } from '../../src/model/scan/blob.js';
import { ScanContext } from '../../src/model/scan/context.js';
import { dispatch } from '../../src/model/scan/dispatch.js';
import { DEFAULT_LIMITS } from '../../src/model/scan/limits.js';
import { defaultPolicy } from '../../src/model/scan/pickle/default-policy.js';
import { asm, benignPickle, osSystemPickle } from './pickle-asm.js';
import { makeZip } from './zip-writer.js';

/** Magic prefixes of every format the scanner recognises: random tails after them reach each parser. */
export const MAGICS: Uint8Array[] = [
  'PK\x03\x04',
  'PK\x05\x06',
  '7z\xbc\xaf\x27\x1c',
  '\x93NUMPY\x01\x00',
  '\x93NUMPY\x02\x00',
  'GGUF\x03\x00\x00\x00',
  '\x89HDF\r\n\x1a\n',
  '\x1f\x8b\x08\x00',
  'BZh9',
  '\xfd7zXZ\x00',
  '\x78\x9c',
  '\x5d\x00\x00\x80\x00',
  '\x80\x02',
  '\x80\x04\x95',
  '\x80\x05',
  '(dp0\n',
  '\x08\x07\x12',
  '\x40\x00\x00\x00\x00\x00\x00\x00{"',
].map((s) => Buffer.from(s, 'latin1'));

/** Valid inputs to mutate: hand-made ones, plus every committed fixture under test/fixtures/model (≤ 256 KiB). */
export function seeds(root = join(import.meta.dirname, '..', 'fixtures', 'model')): Uint8Array[] {
  const out: Uint8Array[] = [
    osSystemPickle(),
    benignPickle(),
    makeZip([{ name: 'archive/data.pkl', data: osSystemPickle() }, { name: 'archive/version', data: Buffer.from('3\n') }]),
    makeZip([{ name: 'm.pkl', data: benignPickle(), deflate: true }]),
    asm().proto(4).str('os').memoize().str('system').memoize().stackGlobal().str('x').tuple1().reduce().stop().bytesOut(),
  ];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.size <= 256 * 1024 && !n.endsWith('.md') && !n.endsWith('.json')) out.push(readFileSync(p));
    }
  };
  walk(root);
  return out;
}

/** Random bytes, magic-prefixed random bytes, and mutations (flips, cuts, splices, length-field bombs) of seeds. */
export function inputs(seedList: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const random = fc.uint8Array({ maxLength: 4096 });
  const magic = fc.tuple(fc.constantFrom(...MAGICS), fc.uint8Array({ maxLength: 2048 })).map(([m, t]) => Buffer.concat([m, t]));
  const mutated = fc
    .tuple(
      fc.constantFrom(...seedList),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'set', 'cut', 'dup', 'ff')), { minLength: 1, maxLength: 8 }),
    )
    .map(([seed, edits]) => {
      let b = Buffer.from(seed);
      for (const [pos, val, kind] of edits) {
        if (b.length === 0) break;
        const at = pos % b.length;
        if (kind === 'flip') b[at] = b[at]! ^ (1 << (val % 8));
        else if (kind === 'set') b[at] = val;
        else if (kind === 'cut') b = b.subarray(0, at);
        else if (kind === 'dup') b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 64), b.subarray(at)]);
        else b.fill(0xff, at, Math.min(b.length, at + 8)); // huge length fields
      }
      return new Uint8Array(b);
    });
  return fc.oneof({ arbitrary: mutated, weight: 6 }, { arbitrary: magic, weight: 3 }, { arbitrary: random, weight: 1 });
}

/** A throw from a parser that signals a bug rather than bad input. */
export function isBug(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) return true;
  return err.message.startsWith('internal');
}

/** Scans bytes with small limits; resolves with the error when the scanner throws. */
export async function scanForFuzz(bytes: Uint8Array): Promise<unknown> {
  const ctx = new ScanContext([], defaultPolicy(), { ...DEFAULT_LIMITS, maxInMemoryBytes: 8 << 20, maxTotalInflated: 64 << 20 }, dispatch);
  try {
    await dispatch(new BufferBlob(bytes), ctx);
    return undefined;
  } catch (err) {
    return err;
  }
}
