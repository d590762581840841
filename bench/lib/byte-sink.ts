import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { crc32OfZeros } from './crc32-zeros.js';

/**
 * Where generated model files go. `data(n)` stands for tensor bytes: a hole in a sparse file (the disk is not
 * filled, reads return zeros) or deterministic pseudo-random bytes, so a scanner that reads them pays real copies.
 */
export interface ByteSink {
  readonly position: number;
  write(bytes: Uint8Array): void;
  /** Writes `n` bytes of tensor data and returns their CRC-32 (zip members need it). */
  data(n: number): number;
}

const BLOCK = 1 << 20;
let noise: Uint8Array | undefined;

/** 1 MiB of xorshift32 noise, the same on every run (fixed seed), standing in for float weights. */
export function noiseBlock(): Uint8Array {
  if (noise !== undefined) return noise;
  const b = new Uint8Array(BLOCK);
  const v = new Uint32Array(b.buffer);
  let x = 0x9e3779b9;
  for (let i = 0; i < v.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = x >>> 0;
  }
  noise = b;
  return b;
}

/** Calls `emit` with consecutive slices of the noise block covering `n` bytes starting at stream offset `at`. */
function eachNoise(at: number, n: number, emit: (chunk: Uint8Array) => void): void {
  const block = noiseBlock();
  let done = 0;
  while (done < n) {
    const o = (at + done) % BLOCK;
    const len = Math.min(n - done, BLOCK - o);
    emit(block.subarray(o, o + len));
    done += len;
  }
}

/** A file written with positioned writes; `sparse` turns tensor data into holes. */
export class FileSink implements ByteSink {
  private readonly fd: number;
  private pos = 0;

  constructor(
    path: string,
    private readonly sparse: boolean,
  ) {
    this.fd = openSync(path, 'w');
  }

  get position(): number {
    return this.pos;
  }

  write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off, this.pos + off);
    this.pos += bytes.length;
  }

  data(n: number): number {
    if (this.sparse) {
      this.pos += n;
      return crc32OfZeros(n);
    }
    let crc = 0;
    eachNoise(this.pos, n, (c) => {
      crc = crc32(c, crc);
      this.write(c);
    });
    return crc;
  }

  /** Sets the file length (a trailing hole needs it) and closes. */
  close(): void {
    ftruncateSync(this.fd, this.pos);
    closeSync(this.fd);
  }
}

/** Bytes kept in memory (data.pkl before it goes into a zip; small files for the Python cross-check). */
export class MemorySink implements ByteSink {
  private parts: Uint8Array[] = [];
  private pos = 0;

  get position(): number {
    return this.pos;
  }

  write(bytes: Uint8Array): void {
    this.parts.push(bytes.slice());
    this.pos += bytes.length;
  }

  data(n: number): number {
    let crc = 0;
    eachNoise(this.pos, n, (c) => {
      crc = crc32(c, crc);
      this.write(c);
    });
    return crc;
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}
