import { LzmaError } from './lzma-error.js';
import type { LzmaOptions } from './lzma.js';

export const DEFAULT_MAX_DICT_BYTES = 64 * 1024 * 1024;

/** LZMA's smallest dictionary (the spec rounds smaller declared sizes up to this). */
const MIN_DICT = 4096;

/**
 * Throws a `limit` error when decoding needs a larger window than allowed. A stream of known size never needs
 * more window than its size, so a 7z coder that declares a 1 GiB dictionary for a 1 KiB file is accepted.
 */
export function checkDictSize(dictSize: number, knownSize: number | undefined, opts: LzmaOptions): number {
  const max = opts.maxDictBytes ?? DEFAULT_MAX_DICT_BYTES;
  const needed = Math.max(MIN_DICT, Math.min(dictSize, knownSize ?? Infinity));
  if (needed > max) {
    throw new LzmaError('limit', `the stream needs a ${mib(dictSize)} dictionary, above the ${mib(max)} limit`);
  }
  return needed;
}

const mib = (n: number): string => (n >= 1 << 20 ? `${Math.round((n / (1 << 20)) * 10) / 10} MiB` : `${n} bytes`);

/** Largest chunk handed to a decoder's `out` callback. */
export const OUT_CHUNK = 64 * 1024;

/** First allocation of the window; it doubles as output arrives, up to the dictionary size. */
const INITIAL_WINDOW = 64 * 1024;

/**
 * The LZ77 sliding window ("dictionary") of an LZMA decoder, and its output buffer at the same time.
 *
 * Memory is the point of this class: it never holds more than `dictSize` bytes, whatever the stream's output size.
 * It starts small and doubles only as output is produced, so a hostile header that declares a 64 MiB dictionary
 * for ten bytes of data costs ten bytes' worth of window. Decoded bytes are handed to `out` in chunks of at most
 * `OUT_CHUNK` bytes: whenever that many are pending, and before the circular buffer wraps over them.
 */
export class OutWindow {
  private buf: Uint8Array;
  /** Next write position in `buf`. */
  private pos = 0;
  /** Start of the bytes not yet handed to `out`. */
  private flushed = 0;
  /** Bytes since the last dictionary reset that matches may reach back to (at most `dictSize`). */
  full = 0;
  /** Bytes since the last dictionary reset: LZMA's position for the literal and pos-state contexts. */
  total = 0;
  /** Receives decoded bytes; set by the stream decoder for each push. */
  out: (bytes: Uint8Array) => void = () => {};

  constructor(readonly dictSize: number) {
    this.buf = new Uint8Array(Math.min(dictSize, INITIAL_WINDOW));
  }

  /** LZMA2 dictionary reset: earlier bytes can no longer be referenced (pending output is still delivered). */
  reset(): void {
    this.full = 0;
    this.total = 0;
  }

  /** The byte `dist` positions back (1 = the previous byte); 0 when the window does not reach that far. */
  getByte(dist: number): number {
    if (dist > this.full) return 0;
    let i = this.pos - dist;
    if (i < 0) i += this.buf.length;
    return this.buf[i]!;
  }

  putByte(b: number): void {
    this.buf[this.pos++] = b;
    this.total++;
    if (this.full < this.dictSize) this.full++;
    if (this.pos - this.flushed >= OUT_CHUNK || this.pos === this.buf.length) this.afterWrite();
  }

  /**
   * Copies up to `len` bytes from `dist` back (the caller checked `dist <= full`); returns how many it copied,
   * at least 1. It stops early at a flush boundary, so the caller loops.
   */
  copyMatch(dist: number, len: number): number {
    const buf = this.buf;
    const dst = this.pos;
    const n = Math.min(len, OUT_CHUNK - (dst - this.flushed), buf.length - dst);
    let src = dst - dist;
    if (src < 0) src += buf.length;
    if (dist === 1) {
      buf.fill(buf[src]!, dst, dst + n);
    } else if ((src > dst || dist >= n) && src + n <= buf.length) {
      // No overlap that a forward byte copy would see, so memmove semantics give the same bytes.
      buf.copyWithin(dst, src, src + n);
    } else {
      let s = src;
      for (let i = 0; i < n; i++) {
        buf[dst + i] = buf[s++]!;
        if (s === buf.length) s = 0;
      }
    }
    this.pos = dst + n;
    this.total += n;
    this.full = Math.min(this.dictSize, this.full + n);
    if (this.pos - this.flushed >= OUT_CHUNK || this.pos === buf.length) this.afterWrite();
    return n;
  }

  /** Appends literal bytes (an LZMA2 uncompressed chunk). */
  putBytes(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      const n = Math.min(bytes.length - i, OUT_CHUNK - (this.pos - this.flushed), this.buf.length - this.pos);
      this.buf.set(bytes.subarray(i, i + n), this.pos);
      i += n;
      this.pos += n;
      this.total += n;
      this.full = Math.min(this.dictSize, this.full + n);
      if (this.pos - this.flushed >= OUT_CHUNK || this.pos === this.buf.length) this.afterWrite();
    }
  }

  /** Hands the pending bytes to `out` (a copy: the window will overwrite them). */
  flush(): void {
    if (this.pos > this.flushed) {
      const chunk = this.buf.slice(this.flushed, this.pos);
      this.flushed = this.pos;
      this.out(chunk);
    }
  }

  private afterWrite(): void {
    if (this.pos - this.flushed >= OUT_CHUNK) this.flush();
    if (this.pos < this.buf.length) return;
    if (this.buf.length < this.dictSize) {
      // Still growing: nothing has wrapped yet, so a linear copy keeps every position valid.
      const grown = new Uint8Array(Math.min(this.dictSize, this.buf.length * 2));
      grown.set(this.buf);
      this.buf = grown;
    } else {
      this.flush();
      this.pos = 0;
      this.flushed = 0;
    }
  }
}
