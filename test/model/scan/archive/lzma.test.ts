import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../../src/model/scan/archive/lzma-crc.js';
import {
  LzmaError,
  createLzma2Decoder,
  createLzmaAloneDecoder,
  createRawLzmaDecoder,
  createXzDecoder,
  type StreamDecoder,
} from '../../../../src/model/scan/archive/lzma.js';
import { lzma2DictSize } from '../../../../src/model/scan/archive/lzma2.js';
import { VECTORS, decodeAll, decoderFor, readVector, type Vector } from './lzma-vectors.js';

const small = VECTORS.filter((v) => v.size < 3_000_000);
const byFile = (file: string): Vector => VECTORS.find((v) => v.file === file)!;

function expectLzmaError(fn: () => unknown, reason?: string, message?: RegExp): LzmaError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LzmaError);
    if (reason !== undefined) expect((err as LzmaError).reason).toBe(reason);
    if (message !== undefined) expect((err as LzmaError).message).toMatch(message);
    return err as LzmaError;
  }
  throw new Error('expected an LzmaError');
}

describe('LZMA decoders against liblzma vectors', () => {
  it.each(small.map((v) => [v.file, v] as const))('%s decodes to the expected bytes', (_file, v) => {
    const r = decodeAll(decoderFor(v), readVector(v.file));
    expect(r.size).toBe(v.size);
    expect(r.sha256).toBe(v.sha256);
    expect(r.maxChunk).toBeLessThanOrEqual(64 * 1024);
  });

  it.each(small.filter((v) => readVector(v.file).length < 12_000).map((v) => [v.file, v] as const))(
    '%s decodes when fed one byte at a time',
    (_file, v) => {
      const r = decodeAll(decoderFor(v), readVector(v.file), 1);
      expect(r.sha256).toBe(v.sha256);
    },
  );

  it.each([3, 63, 64, 65, 1000])('decodes when fed %i-byte pieces', (step) => {
    for (const file of ['text-p6.lzma', 'text-lc1lp3pb4.lzma1', 'multiblock.xz', 'concatenated.xz', 'random.lzma2']) {
      const v = byFile(file);
      expect(decodeAll(decoderFor(v), readVector(file), step).sha256).toBe(v.sha256);
    }
  });

  it('decodes raw LZMA1 with the size known and the end marker still present (what py7zr writes)', () => {
    const v = byFile('text-lc3lp0pb2.lzma1');
    const dec = createRawLzmaDecoder(Buffer.from(v.props!, 'hex'), v.size);
    expect(decodeAll(dec, readVector(v.file), 100).sha256).toBe(v.sha256);
  });

  it('decodes LZMA2 with a size hint smaller than the declared dictionary', () => {
    const v = byFile('text.lzma2');
    const dec = createLzma2Decoder(1 << 30, { maxDictBytes: 1 << 20, sizeHint: v.size });
    expect(decodeAll(dec, readVector(v.file)).sha256).toBe(v.sha256);
  });
});

describe('bounded memory on a 100 MB zero stream', () => {
  // A handle on the collector, so the test measures what the decoder keeps, not garbage not yet collected.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  it.each(['zeros-100mb.xz', 'zeros-100mb.lzma'])('%s keeps at most the dictionary plus small buffers', async (file) => {
    const v = byFile(file);
    const input = readVector(file);
    const dec = decoderFor(v);
    // ArrayBuffers are freed by a sweeper after the collection; give it a turn of the event loop.
    const retained = async (): Promise<number> => {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      return process.memoryUsage().arrayBuffers;
    };
    const base = await retained();
    let peak = 0;
    let size = 0;
    let maxChunk = 0;
    const hash = createHash('sha256');
    const out = (b: Uint8Array): void => {
      size += b.length;
      maxChunk = Math.max(maxChunk, b.length);
      hash.update(b);
    };
    for (let i = 0, next = 0; i < input.length; i += 4096) {
      dec.push(input.subarray(i, i + 4096), out);
      if (size >= next) {
        next += 20_000_000;
        peak = Math.max(peak, (await retained()) - base);
      }
    }
    dec.end(out);
    expect(size).toBe(100_000_000);
    expect(hash.digest('hex')).toBe(v.sha256);
    expect(maxChunk).toBe(64 * 1024);
    // Preset 6 uses an 8 MiB dictionary; the output is 100 MB.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(10 * 1024 * 1024);
  });
});

describe('malformed streams', () => {
  it.each(small.map((v) => [v.file, v] as const))('%s cut short throws a truncation error', (_file, v) => {
    const input = readVector(v.file);
    for (const cut of [0, 1, 5, 12, 13, Math.floor(input.length / 2), input.length - 1]) {
      if (cut >= input.length) continue;
      // Stream padding is optional, so cutting into it still leaves a valid file.
      if (v.file === 'concatenated.xz' && cut >= input.length - 4) continue;
      const err = expectLzmaError(() => decodeAll(decoderFor(v), input.subarray(0, cut), 7));
      expect(['truncated', 'corrupt']).toContain(err.reason);
    }
  });

  it('xz with a corrupted byte anywhere fails (header CRCs and the block check catch it)', () => {
    const input = readVector('text-p6.xz');
    for (let i = 0; i < input.length; i += 97) {
      const bad = input.slice();
      bad[i] ^= 0x10;
      expectLzmaError(() => decodeAll(createXzDecoder(), bad));
    }
  });

  it('raw LZMA with a corrupted byte either fails cleanly or decodes to other bytes', () => {
    for (const file of ['text-p6.lzma', 'text.lzma2', 'mixed-lc0lp2pb0.lzma1']) {
      const v = byFile(file);
      const input = readVector(file);
      for (let i = 20; i < input.length; i += 211) {
        const bad = input.slice();
        bad[i] ^= 0x55;
        try {
          expect(decodeAll(decoderFor(v), bad).sha256).not.toBe(v.sha256);
        } catch (err) {
          expect(err).toBeInstanceOf(LzmaError);
        }
      }
    }
  });

  it('refuses a dictionary above maxDictBytes', () => {
    // text-p6.xz declares 8 MiB; the limit is 1 MiB.
    expectLzmaError(() => decodeAll(createXzDecoder({ maxDictBytes: 1 << 20 }), readVector('text-p6.xz')), 'limit', /8 MiB dictionary/);
    expectLzmaError(() => createLzma2Decoder(lzma2DictSize(40), {}), 'limit');
    // A .lzma header asking for 1 GiB (the default limit is 64 MiB).
    const alone = readVector('text-p6.lzma').slice();
    new DataView(alone.buffer).setUint32(1, 1 << 30, true);
    expectLzmaError(() => decodeAll(createLzmaAloneDecoder(), alone), 'limit', /1024 MiB/);
    expectLzmaError(() => createRawLzmaDecoder(Uint8Array.of(0x5d, 0, 0, 0, 0x40), undefined, {}), 'limit');
  });

  it('refuses the BCJ and delta filters by name', () => {
    expectLzmaError(() => decodeAll(createXzDecoder(), readVector('bcj-x86.xz')), 'unsupported', /x86 BCJ filter/);
    expectLzmaError(() => decodeAll(createXzDecoder(), readVector('delta.xz')), 'unsupported', /delta filter/);
  });

  it('rejects an xz block header with a bad CRC, reserved flags, or trailing garbage', () => {
    const input = readVector('text-check-crc32.xz');
    const bad = input.slice();
    bad[13] ^= 0x01; // block flags: CRC32 no longer matches
    expectLzmaError(() => decodeAll(createXzDecoder(), bad), 'corrupt', /block header CRC32/);
    // Stream padding that is not a multiple of 4 bytes.
    const padded = new Uint8Array(input.length + 3);
    padded.set(input);
    expectLzmaError(() => decodeAll(createXzDecoder(), padded), 'corrupt', /padding/);
    const garbage = new Uint8Array(input.length + 12);
    garbage.set(input);
    garbage.fill(7, input.length);
    expectLzmaError(() => decodeAll(createXzDecoder(), garbage), 'corrupt', /magic/);
  });

  it('rejects malformed LZMA2 control bytes', () => {
    expectLzmaError(() => decodeAll(createLzma2Decoder(1 << 20), Uint8Array.of(0x03)), 'corrupt', /control byte/);
    // An LZMA chunk without a dictionary reset first.
    expectLzmaError(() => decodeAll(createLzma2Decoder(1 << 20), Uint8Array.of(0x80, 0, 0, 0, 5)), 'corrupt', /dictionary reset/);
    // Uncompressed chunk, then an LZMA chunk that would reuse properties never set.
    expectLzmaError(() => decodeAll(createLzma2Decoder(1 << 20), Uint8Array.of(0x01, 0, 0, 0x41, 0x80)), 'corrupt', /properties/);
    // A stream without its end byte.
    expectLzmaError(() => decodeAll(createLzma2Decoder(1 << 20), Uint8Array.of(0x01, 0, 0, 0x41)), 'truncated');
  });

  it('rejects match distances before the start of the data', () => {
    // Hand-made: properties lc=3 lp=0 pb=2; the range coder's code is all ones minus one, so the first decision
    // (is-match) comes out 1 although nothing was decoded yet.
    const input = Uint8Array.of(0, 0xff, 0xff, 0xff, 0xfe, ...new Array<number>(64).fill(0xff));
    const dec = createRawLzmaDecoder(Uint8Array.of(0x5d, 0, 0, 1, 0), undefined);
    expectLzmaError(() => decodeAll(dec, input), 'corrupt');
  });

  it('rejects a range coder that does not start with 0', () => {
    const input = readVector('text-p6.lzma').slice();
    input[13] = 1;
    expectLzmaError(() => decodeAll(createLzmaAloneDecoder(), input), 'corrupt', /zero byte/);
  });

  it('rejects an end marker before the declared size and data past it', () => {
    const v = byFile('text-lc3lp0pb2.lzma1');
    const props = Buffer.from(v.props!, 'hex');
    expectLzmaError(() => decodeAll(createRawLzmaDecoder(props, v.size + 1), readVector(v.file)), 'corrupt', /end marker/);
    expectLzmaError(() => decodeAll(createRawLzmaDecoder(props, v.size - 1), readVector(v.file)), 'corrupt');
  });

  it('needs at least one xz stream', () => {
    expectLzmaError(() => decodeAll(createXzDecoder(), new Uint8Array(0)), 'truncated', /empty/);
  });
});

describe('CRC helpers', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('a decoder that finished ignores trailing bytes in push', () => {
    const v = byFile('zeros-p6.lzma');
    const input = readVector(v.file);
    const dec: StreamDecoder = createLzmaAloneDecoder();
    const out: Uint8Array[] = [];
    dec.push(input, (b) => out.push(b));
    dec.push(Uint8Array.of(1, 2, 3), (b) => out.push(b));
    dec.end((b) => out.push(b));
    expect(out.reduce((n, b) => n + b.length, 0)).toBe(v.size);
  });
});
