import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createLzma2Decoder,
  createLzmaAloneDecoder,
  createRawLzmaDecoder,
  createXzDecoder,
  type LzmaOptions,
  type StreamDecoder,
} from '../../../../src/model/scan/archive/lzma.js';

/** Decoder vectors made by scripts/fixtures/7z.py with Python's lzma module (see test/fixtures/model/7z/README.md). */
export const VECTOR_DIR = fileURLToPath(new URL('../../../fixtures/model/7z/lzma/', import.meta.url));
export const SEVENZIP_DIR = fileURLToPath(new URL('../../../fixtures/model/7z/', import.meta.url));

export interface Vector {
  file: string;
  kind: 'xz' | 'alone' | 'lzma1' | 'lzma2';
  size: number;
  sha256: string;
  props?: string;
  dictSize?: number;
}

export const VECTORS: Vector[] = JSON.parse(readFileSync(VECTOR_DIR + 'vectors.json', 'utf8')) as Vector[];

export const readVector = (file: string): Uint8Array => new Uint8Array(readFileSync(VECTOR_DIR + file));

export function decoderFor(v: Vector, opts: LzmaOptions = {}): StreamDecoder {
  switch (v.kind) {
    case 'xz':
      return createXzDecoder(opts);
    case 'alone':
      return createLzmaAloneDecoder(opts);
    case 'lzma1':
      // liblzma's raw LZMA1 stream ends with a marker; 7z would also pass the size, which is tested separately.
      return createRawLzmaDecoder(Buffer.from(v.props!, 'hex'), undefined, opts);
    case 'lzma2':
      return createLzma2Decoder(v.dictSize!, opts);
  }
}

export interface Decoded {
  size: number;
  sha256: string;
  maxChunk: number;
  chunks: number;
}

/** Feeds `input` in `step`-byte pieces and hashes what comes out. */
export function decodeAll(dec: StreamDecoder, input: Uint8Array, step = input.length || 1): Decoded {
  const hash = createHash('sha256');
  const r = { size: 0, sha256: '', maxChunk: 0, chunks: 0 };
  const out = (b: Uint8Array): void => {
    hash.update(b);
    r.size += b.length;
    r.chunks++;
    r.maxChunk = Math.max(r.maxChunk, b.length);
  };
  for (let i = 0; i < input.length; i += step) dec.push(input.subarray(i, i + step), out);
  dec.end(out);
  r.sha256 = hash.digest('hex');
  return r;
}
