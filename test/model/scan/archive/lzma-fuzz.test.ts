import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LzmaError,
  createLzma2Decoder,
  createLzmaAloneDecoder,
  createRawLzmaDecoder,
  createXzDecoder,
  type StreamDecoder,
} from '../../../../src/model/scan/archive/lzma.js';
import { VECTORS, decoderFor, readVector } from './lzma-vectors.js';
import { mutate, mutation } from './mutations.js';

/** Decodes, allowing only a clean LzmaError; returns the output size. */
function decodeOrLzmaError(dec: StreamDecoder, input: Uint8Array, step: number): number {
  let size = 0;
  let maxChunk = 0;
  const out = (b: Uint8Array): void => {
    size += b.length;
    maxChunk = Math.max(maxChunk, b.length);
  };
  try {
    for (let i = 0; i < input.length; i += step) dec.push(input.subarray(i, i + step), out);
    dec.end(out);
  } catch (err) {
    if (!(err instanceof LzmaError)) throw err;
  }
  expect(maxChunk).toBeLessThanOrEqual(64 * 1024);
  return size;
}

const makers: [string, () => StreamDecoder][] = [
  ['xz', () => createXzDecoder({ maxDictBytes: 1 << 24 })],
  ['alone', () => createLzmaAloneDecoder({ maxDictBytes: 1 << 24 })],
  ['raw lzma', () => createRawLzmaDecoder(Uint8Array.of(0x5d, 0, 0, 1, 0), undefined)],
  ['raw lzma sized', () => createRawLzmaDecoder(Uint8Array.of(0x5d, 0, 0, 1, 0), 5000)],
  ['lzma2', () => createLzma2Decoder(1 << 16)],
];

const fuzzVectors = VECTORS.filter((v) => v.size <= 300_000);

describe('LZMA decoders under fuzzing', () => {
  it('random bytes: every decoder ends with output or a clean LzmaError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: makers.length - 1 }), fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 600 }), (k, bytes, step) => {
        decodeOrLzmaError(makers[k]![1](), bytes, step);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('random symbols behind valid headers exercise the range decoder', () => {
    // A .lzma header (lc=3 lp=0 pb=2, 64 KiB, unknown size) and a range coder start, then noise.
    const head = Uint8Array.of(0x5d, 0, 0, 1, 0, ...new Array<number>(8).fill(0xff), 0);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4000 }), fc.integer({ min: 1, max: 300 }), (noise, step) => {
        const input = new Uint8Array(head.length + noise.length);
        input.set(head);
        input.set(noise, head.length);
        // Bounded: LZMA cannot expand much more than 8 KiB per input byte, whatever the bytes.
        expect(decodeOrLzmaError(createLzmaAloneDecoder(), input, step)).toBeLessThan(input.length * 10_000);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('mutated vectors: output or a clean LzmaError, never a crash or a hang', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: fuzzVectors.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 5000 }),
        (k, muts, step) => {
          const v = fuzzVectors[k]!;
          decodeOrLzmaError(decoderFor(v), mutate(readVector(v.file), muts), step);
        },
      ),
      { seed: 42, numRuns: 1000 },
    );
  });
});
