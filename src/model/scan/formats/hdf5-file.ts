import type { Blob } from '../blob.js';
import { Cursor } from './hdf5-cursor.js';
import { Hdf5Error } from './hdf5-error.js';

/** Small reads (header chunks, B-tree nodes) are served from one cached window of this size. */
const WINDOW = 64 * 1024;

/** Bounds on the work one HDF5 file may cause, whatever its structures claim. */
export interface Hdf5Limits {
  /** Bytes read from the file in total (metadata plus the attribute values that are decoded). */
  maxReadBytes: number;
  /** Largest attribute value (a Keras config) that is read into memory. */
  maxValueBytes: number;
  /** Attribute values decoded per file: bounds the global heap walks a file of duplicated attributes can cause. */
  maxValues: number;
  /** Object header chunks followed per header (continuation messages). */
  maxHeaderChunks: number;
  /** Messages parsed per object header. */
  maxMessages: number;
  /** v2 B-tree nodes visited and records returned per tree. */
  maxBtreeNodes: number;
  maxBtreeRecords: number;
}

export const DEFAULT_HDF5_LIMITS: Readonly<Hdf5Limits> = Object.freeze({
  maxReadBytes: 256 * 1024 * 1024,
  maxValueBytes: 100 * 1024 * 1024,
  maxValues: 16,
  maxHeaderChunks: 1024,
  maxMessages: 65_536,
  maxBtreeNodes: 10_000,
  maxBtreeRecords: 100_000,
});

/** What the superblock says about how to read the rest of the file. */
export interface Superblock {
  version: number;
  /** Absolute offset of the signature (0, 512, 1024 … when a user block precedes it). */
  signatureAt: number;
  /** Every other address in the file is relative to this absolute offset (spec §II.A, "Base Address"). */
  baseAddress: number;
  sizeOfOffsets: number;
  sizeOfLengths: number;
  /** Address of the root group's object header (relative to the base). */
  rootObjectHeader: number;
}

/**
 * Bounded random access to an HDF5 file: addresses are relative to the superblock's base address, every read is
 * checked against the file size and counted against `maxReadBytes`.
 */
export class Hdf5File {
  private spent = 0;
  private windowAt = -1;
  private window: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly blob: Blob,
    readonly sb: Superblock,
    readonly limits: Hdf5Limits,
  ) {}

  get size(): number {
    return this.blob.size;
  }

  /** Absolute file offset of a relative address, for messages. */
  absolute(address: number): number {
    return this.sb.baseAddress + address;
  }

  /** Reads exactly `length` bytes at relative `address`, or throws a `malformed` error naming `what`. */
  async read(address: number, length: number, what: string): Promise<Uint8Array> {
    const abs = this.sb.baseAddress + address;
    if (address < 0 || length < 0 || !Number.isSafeInteger(abs) || abs + length > this.blob.size) {
      throw new Hdf5Error('malformed', `${what} at address ${address} (${length} bytes) lies outside the file`, abs);
    }
    if (this.windowAt >= 0 && abs >= this.windowAt && abs + length <= this.windowAt + this.window.length) {
      return this.window.subarray(abs - this.windowAt, abs - this.windowAt + length);
    }
    if (length <= WINDOW) {
      const span = Math.min(WINDOW, this.blob.size - abs);
      this.window = await this.fetch(abs, span);
      this.windowAt = abs;
      if (this.window.length < length) throw new Hdf5Error('malformed', `${what} is truncated`, abs);
      return this.window.subarray(0, length);
    }
    const out = await this.fetch(abs, length);
    if (out.length < length) throw new Hdf5Error('malformed', `${what} is truncated`, abs);
    return out;
  }

  /** A cursor over `length` bytes at `address`, sized with this file's offsets and lengths. */
  async cursor(address: number, length: number, what: string): Promise<Cursor> {
    const bytes = await this.read(address, length, what);
    return new Cursor(bytes, this.absolute(address), this.sb.sizeOfOffsets, this.sb.sizeOfLengths);
  }

  /** Like `cursor`, but shortened to what the file holds, for structures whose size is only known after parsing. */
  async cursorUpTo(address: number, maxLength: number, what: string): Promise<Cursor> {
    const abs = this.sb.baseAddress + address;
    if (address < 0 || abs >= this.blob.size) {
      throw new Hdf5Error('malformed', `${what} at address ${address} lies outside the file`, abs);
    }
    return this.cursor(address, Math.min(maxLength, this.blob.size - abs), what);
  }

  private async fetch(abs: number, length: number): Promise<Uint8Array> {
    this.spent += length;
    if (this.spent > this.limits.maxReadBytes) {
      throw new Hdf5Error('limit', `reading the file's metadata needed more than ${this.limits.maxReadBytes} bytes`, abs);
    }
    return this.blob.read(abs, length);
  }
}

export function newCursor(bytes: Uint8Array, absolute: number, sb: Superblock): Cursor {
  return new Cursor(bytes, absolute, sb.sizeOfOffsets, sb.sizeOfLengths);
}
