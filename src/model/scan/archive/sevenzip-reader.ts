/** A malformed 7z structure; `offset` is where in the file it was found, when the bytes came straight from it. */
export class SevenZipError extends Error {
  constructor(
    message: string,
    readonly offset: number | undefined,
  ) {
    super(message);
    this.name = 'SevenZipError';
  }
}

/** A count or size above a scan limit: the archive may be fine, but it is not opened (reported as incomplete). */
export class SevenZipLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SevenZipLimitError';
  }
}

/**
 * A bounds-checked cursor over header bytes (7zFormat.txt in the 7-Zip sources, "Header" and "Property IDs").
 * Every read checks the bytes that exist and throws `SevenZipError` with the file offset otherwise.
 */
export class HeaderReader {
  pos = 0;

  /**
   * @param base file offset of `bytes[0]`, or undefined when the bytes were decoded (an encoded header), where
   *   file offsets mean nothing.
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number | undefined,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** The file offset of the cursor (for findings), when the header came straight from the file. */
  get offset(): number | undefined {
    return this.base === undefined ? undefined : this.base + this.pos;
  }

  fail(message: string): never {
    const where = this.base === undefined ? ` (byte ${this.pos} of the decoded header)` : '';
    throw new SevenZipError(message + where, this.offset);
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) this.fail(`header ends inside ${what}`);
  }

  byte(): number {
    this.need(1, 'a property id');
    return this.bytes[this.pos++]!;
  }

  u32(): number {
    this.need(4, 'a 32-bit field');
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /**
   * 7z NUMBER: the count of leading 1 bits in the first byte is the count of extra little-endian bytes; the first
   * byte's remaining bits are the high part. Values above 2^53 are refused (no real archive has them).
   */
  number(): number {
    const first = this.byte();
    let mask = 0x80;
    let value = 0;
    for (let i = 0; i < 8; i++) {
      if ((first & mask) === 0) {
        value += (first & (mask - 1)) * 2 ** (8 * i);
        return this.safe(value);
      }
      value += this.byte() * 2 ** (8 * i);
      mask >>>= 1;
    }
    return this.safe(value);
  }

  private safe(v: number): number {
    if (v > Number.MAX_SAFE_INTEGER) this.fail('number above 2^53');
    return v;
  }

  /** A NUMBER used as a count of things each needing at least `minBytes` of header: bounded by the bytes left. */
  count(what: string, minBytes: number, limit = Infinity): number {
    const at = this.offset;
    const n = this.number();
    if (n * minBytes > this.remaining) {
      throw new SevenZipError(`header declares ${n} ${what}, more than its remaining ${this.remaining} bytes can hold`, at);
    }
    if (n > limit) throw new SevenZipLimitError(`the archive declares ${n} ${what}, above the limit of ${limit}`);
    return n;
  }

  bytesOf(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A reader over the next `n` bytes (a property with a size prefix); this cursor moves past them. */
  sub(n: number, what: string): HeaderReader {
    const start = this.pos;
    const view = this.bytesOf(n, what);
    return new HeaderReader(view, this.base === undefined ? undefined : this.base + start);
  }

  /** `n` bits, most significant bit first (7z "BitField"). */
  bits(n: number): BitVector {
    return new BitVector(this.bytesOf(Math.ceil(n / 8), 'a bit vector'), n);
  }

  /** An "AllAreDefined" byte, then a bit vector when it is 0. */
  defined(n: number): BitVector {
    return this.byte() !== 0 ? BitVector.all(n) : this.bits(n);
  }
}

export class BitVector {
  constructor(
    private readonly bytes: Uint8Array | undefined,
    readonly length: number,
  ) {}

  static all(n: number): BitVector {
    return new BitVector(undefined, n);
  }

  static none(n: number): BitVector {
    return new BitVector(new Uint8Array(Math.ceil(n / 8)), n);
  }

  get(i: number): boolean {
    if (i >= this.length) return false;
    return this.bytes === undefined || (this.bytes[i >>> 3]! & (0x80 >>> (i & 7))) !== 0;
  }

  countSet(): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.get(i)) n++;
    return n;
  }
}
