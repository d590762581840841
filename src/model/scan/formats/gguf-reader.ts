import type { Blob } from '../blob.js';

/** Bytes fetched per read: headers are parsed in small windows so tensor data is not read along with them. */
const WINDOW = 64 * 1024;

/** The file ended inside a fixed-size header field. */
export class HeaderEndError extends Error {
  constructor(readonly offset: number) {
    super(`file ends inside the GGUF header at byte ${offset}`);
    this.name = 'HeaderEndError';
  }
}

/** Parsing cannot go on; the reason was already reported as a finding. */
export class GgufStop extends Error {
  constructor() {
    super('GGUF header parsing stopped');
    this.name = 'GgufStop';
  }
}

/**
 * A forward cursor over the header of a GGUF file. Reads go through a small window; `skip` moves past bytes
 * without reading them, so skipping a 100 MB array costs nothing. Lengths are returned as numbers, exact up to
 * 2^53 and only compared with the file size above that.
 */
export class HeaderCursor {
  pos: number;
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));
  private bufStart = 0;

  constructor(
    private readonly blob: Blob,
    readonly littleEndian: boolean,
    /** Width of counts and lengths: 4 bytes in GGUF v1, 8 from v2 on. */
    readonly sizeWidth: 4 | 8,
    start = 0,
  ) {
    this.pos = start;
  }

  get fileSize(): number {
    return this.blob.size;
  }

  /** Bytes between the cursor and the end of the file. */
  remaining(): number {
    return Math.max(0, this.blob.size - this.pos);
  }

  skip(n: number): void {
    this.pos += n;
  }

  async u32(): Promise<number> {
    const at = await this.need(4);
    this.pos += 4;
    return this.view.getUint32(at, this.littleEndian);
  }

  async u64(): Promise<bigint> {
    const at = await this.need(8);
    this.pos += 8;
    return this.view.getBigUint64(at, this.littleEndian);
  }

  /** A count or length field (u32 in v1, u64 after). */
  async size(): Promise<number> {
    if (this.sizeWidth === 4) return this.u32();
    const at = await this.need(8);
    this.pos += 8;
    return this.sizeAt(at);
  }

  async bytes(n: number): Promise<Uint8Array> {
    const at = await this.need(n);
    this.pos += n;
    return this.buf.subarray(at, at + n);
  }

  /**
   * Skips `count` length-prefixed strings, reading only their lengths. Stops early and returns the offending
   * length field's offset when a string is longer than the rest of the file, or when the cursor passes `limit`.
   */
  async skipStrings(count: number, limit: number): Promise<{ ok: true } | { ok: false; at: number; length: number } | { ok: 'limit' }> {
    const w = this.sizeWidth;
    for (let i = 0; i < count; i++) {
      // Synchronous fast path while the window holds the next length field: a vocabulary has 10^5 strings.
      const at = this.has(w) ? this.pos - this.bufStart : await this.need(w);
      const len = w === 4 ? this.view.getUint32(at, this.littleEndian) : this.sizeAt(at);
      const fieldAt = this.pos;
      this.pos += w;
      if (len > this.remaining()) return { ok: false, at: fieldAt, length: len };
      this.pos += len;
      if (this.pos > limit) return { ok: 'limit' };
    }
    return { ok: true };
  }

  private sizeAt(at: number): number {
    const lo = this.view.getUint32(at + (this.littleEndian ? 0 : 4), this.littleEndian);
    const hi = this.view.getUint32(at + (this.littleEndian ? 4 : 0), this.littleEndian);
    return hi * 2 ** 32 + lo;
  }

  private has(n: number): boolean {
    return this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length;
  }

  /** Makes `n` bytes at the cursor available; returns their index in the window. */
  private async need(n: number): Promise<number> {
    if (this.has(n)) return this.pos - this.bufStart;
    if (this.pos + n > this.blob.size) throw new HeaderEndError(this.pos);
    const len = Math.min(Math.max(n, WINDOW), this.blob.size - this.pos);
    const got = await this.blob.read(this.pos, len);
    if (got.length < n) throw new HeaderEndError(this.pos + got.length);
    this.buf = got;
    this.view = new DataView(got.buffer, got.byteOffset, got.byteLength);
    this.bufStart = this.pos;
    return 0;
  }
}
