import { Hdf5Error } from './hdf5-error.js';

/** HDF5's "undefined address": every byte 0xFF, whatever the size of offsets. */
export const UNDEFINED_ADDRESS = -1;

/**
 * A little-endian reader over one in-memory structure (a superblock, a header chunk, a message). Every read is
 * checked against the bytes that exist; integers wider than 2^53 are rejected rather than silently rounded.
 */
export class Cursor {
  pos = 0;

  constructor(
    readonly bytes: Uint8Array,
    /** Absolute file offset of `bytes[0]`, for messages. */
    readonly base: number,
    readonly sizeOfOffsets = 8,
    readonly sizeOfLengths = 8,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new Hdf5Error('malformed', `${what} runs past the end of its structure`, this.base + this.pos);
    }
  }

  skip(n: number, what = 'field'): void {
    this.need(n, what);
    this.pos += n;
  }

  u8(what = 'byte'): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what = 'u16'): number {
    return this.uint(2, what);
  }

  u32(what = 'u32'): number {
    return this.uint(4, what);
  }

  /** An unsigned little-endian integer of `n` bytes (0 ≤ n ≤ 8). */
  uint(n: number, what = 'integer'): number {
    this.need(n, what);
    const v = readUint(this.bytes, this.pos, n);
    if (v === undefined) throw new Hdf5Error('unsupported', `${what} does not fit in 53 bits`, this.base + this.pos);
    this.pos += n;
    return v;
  }

  /** A file address (size of offsets); the all-ones "undefined address" becomes `UNDEFINED_ADDRESS`. */
  address(what = 'address'): number {
    const n = this.sizeOfOffsets;
    this.need(n, what);
    let allOnes = true;
    for (let i = 0; i < n; i++) if (this.bytes[this.pos + i] !== 0xff) allOnes = false;
    if (allOnes) {
      this.pos += n;
      return UNDEFINED_ADDRESS;
    }
    return this.uint(n, what);
  }

  /** A length (size of lengths). */
  length(what = 'length'): number {
    return this.uint(this.sizeOfLengths, what);
  }

  take(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  signature(expected: string, what: string): void {
    const got = this.take(expected.length, what);
    for (let i = 0; i < expected.length; i++) {
      if (got[i] !== expected.charCodeAt(i)) {
        throw new Hdf5Error('malformed', `${what}: expected signature '${expected}'`, this.base + this.pos - expected.length);
      }
    }
  }
}

/** Reads `n` little-endian bytes as a safe integer; undefined when the value needs more than 53 bits. */
export function readUint(b: Uint8Array, at: number, n: number): number | undefined {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) {
    v = v * 256 + b[at + i]!;
    if (v > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return v;
}
