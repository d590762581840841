import { PassThrough, Readable, type Duplex } from 'node:stream';
import { createGunzip, createInflate, createInflateRaw, inflateRawSync } from 'node:zlib';
import unbzip2 from 'unbzip2-stream';
import { chunksOf, type Blob } from '../blob.js';
import { createLzmaAloneDecoder, createXzDecoder, type StreamDecoder } from './lzma.js';

/** Input bytes per LZMA decoder push. */
const LZMA_PUSH = 1024;

export type Compression = 'deflate-raw' | 'zlib' | 'gzip' | 'bzip2' | 'xz' | 'lzma';

/**
 * Decompresses a blob as a stream of chunks, so a member of any size is walked in bounded memory. Throws when
 * more than `maxOut` bytes come out (a bomb: the caller reports it) or when the stream is corrupt.
 */
export async function* decompress(kind: Compression, blob: Blob, maxOut: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  const count = (c: Uint8Array): Uint8Array => {
    total += c.length;
    if (total > maxOut) throw new BombError(maxOut);
    return c;
  };
  if (kind === 'xz' || kind === 'lzma') {
    const dec: StreamDecoder = kind === 'xz' ? createXzDecoder({}) : createLzmaAloneDecoder({});
    for await (const chunk of chunksOf(blob)) {
      // LZMA expands up to ~8 KiB per input byte: pushing 1 KiB at a time bounds what one push can produce.
      for (let i = 0; i < chunk.length; i += LZMA_PUSH) {
        const out: Uint8Array[] = [];
        dec.push(chunk.subarray(i, i + LZMA_PUSH), (b) => out.push(count(b)));
        yield* out;
      }
    }
    const out: Uint8Array[] = [];
    dec.end((b) => out.push(count(b)));
    yield* out;
    return;
  }
  const transform = makeTransform(kind);
  const source = Readable.from(chunksOf(blob));
  source.on('error', (err) => transform.destroy(err));
  // unbzip2-stream is an old-style `through` stream without async iteration; a PassThrough gives it one.
  const piped = kind === 'bzip2' ? source.pipe(transform).pipe(new PassThrough()) : source.pipe(transform);
  transform.on('error', (err) => piped.destroy(err));
  try {
    for await (const chunk of piped as AsyncIterable<Uint8Array>) yield count(chunk);
  } finally {
    source.destroy();
    transform.destroy();
  }
}

function makeTransform(kind: Compression): Duplex {
  switch (kind) {
    case 'deflate-raw':
      return createInflateRaw();
    case 'zlib':
      return createInflate();
    case 'gzip':
      return createGunzip();
    case 'bzip2':
      // unbzip2-stream decodes block by block (≤ 900 kB of input each), so memory stays bounded.
      return unbzip2() as unknown as Duplex;
    default:
      throw new Error(`internal: no transform for ${kind}`);
  }
}

/** Inflates a raw-deflate member entirely in memory, refusing to produce more than `maxOut` bytes. */
export function inflateRawBounded(compressed: Uint8Array, maxOut: number): Uint8Array {
  try {
    return inflateRawSync(compressed, { maxOutputLength: Math.max(1, maxOut) });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BombError(maxOut);
    throw err;
  }
}

/** Collects a decompressed stream into memory, up to `maxOut` bytes. */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of chunks) {
    parts.push(c);
    n += c.length;
  }
  return Buffer.concat(parts, n);
}

export class BombError extends Error {
  constructor(readonly limit: number) {
    super(`decompressed data exceeds ${limit} bytes`);
  }
}

/** Passes chunks through while `spend` accepts their size (the per-file decompression budget). */
export async function* withBudget(chunks: AsyncIterable<Uint8Array>, spend: (n: number) => boolean, limit: number): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    if (!spend(c.length)) throw new BombError(limit);
    yield c;
  }
}

/**
 * The first `n` decompressed bytes, for format detection; stops the decompressor after them. A stream that is
 * corrupt before yielding anything throws; one that breaks later gives what came before.
 */
export async function firstBytes(chunks: AsyncGenerator<Uint8Array>, n: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  try {
    for await (const c of chunks) {
      parts.push(c);
      got += c.length;
      if (got >= n) break;
    }
  } catch (err) {
    if (!(err instanceof BombError) && got === 0) throw err;
  } finally {
    await chunks.return(undefined);
  }
  return Buffer.concat(parts).subarray(0, n);
}
