/**
 * Row count of a Parquet file from its footer alone: the last 8 bytes are the footer length (u32 LE) and `PAR1`;
 * the footer is a Thrift compact-protocol FileMetaData whose field 3 is `num_rows` (i64). Only that field is
 * decoded; everything else is skipped with bounded depth, and every length is checked against the bytes present.
 */
export const MAX_FOOTER_BYTES = 64 << 20;
const MAX_DEPTH = 32;

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new RangeError('footer ends early');
    return this.b[this.pos++]!;
  }
  varint(): bigint {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const x = this.byte();
      v |= BigInt(x & 0x7f) << shift;
      if ((x & 0x80) === 0) return v;
    }
    throw new RangeError('varint too long');
  }
  zigzag(): bigint {
    const v = this.varint();
    return (v >> 1n) ^ -(v & 1n);
  }
  skip(n: number): void {
    if (n < 0 || this.pos + n > this.b.length) throw new RangeError('length runs past the footer');
    this.pos += n;
  }
}

/** Skips one value of compact type `t`. */
function skipValue(r: Reader, t: number, depth: number): void {
  if (depth > MAX_DEPTH) throw new RangeError('footer nests too deeply');
  switch (t) {
    case 1:
    case 2:
      return; // boolean true/false live in the type nibble (struct fields)
    case 3:
      return r.skip(1);
    case 4:
    case 5:
    case 6:
      r.varint();
      return;
    case 7:
      return r.skip(8);
    case 8:
      return r.skip(Number(r.varint()));
    case 9:
    case 10: {
      const h = r.byte();
      const size = h >> 4 === 15 ? Number(r.varint()) : h >> 4;
      const et = h & 15;
      if (size > r.b.length) throw new RangeError('list longer than the footer');
      for (let i = 0; i < size; i++) {
        if (et === 1 || et === 2) r.skip(1); // booleans in lists take a byte
        else skipValue(r, et, depth + 1);
      }
      return;
    }
    case 11: {
      const size = Number(r.varint());
      if (size === 0) return;
      const kv = r.byte();
      if (size > r.b.length) throw new RangeError('map longer than the footer');
      for (let i = 0; i < size; i++) {
        skipValue(r, kv >> 4, depth + 1);
        skipValue(r, kv & 15, depth + 1);
      }
      return;
    }
    case 12:
      skipStruct(r, depth + 1, undefined);
      return;
    default:
      throw new RangeError(`unknown compact type ${t}`);
  }
}

/** Walks a struct; when `want` is a field id of type i64, returns its value. */
function skipStruct(r: Reader, depth: number, want: number | undefined): bigint | undefined {
  let last = 0;
  let found: bigint | undefined;
  for (;;) {
    const h = r.byte();
    if (h === 0) return found;
    const t = h & 15;
    const delta = h >> 4;
    const id = delta === 0 ? Number(r.zigzag()) : last + delta;
    last = id;
    if (want !== undefined && id === want && t === 6) found = r.zigzag();
    else skipValue(r, t, depth);
  }
}

/**
 * The number of rows a Parquet file declares, or a reason it cannot be read. `readTail(offset, length)` reads the
 * file's bytes; only the last 8 and the footer are read.
 */
export async function parquetRows(size: number, readTail: (offset: number, length: number) => Promise<Uint8Array>): Promise<number | string> {
  if (size < 12) return 'too short for Parquet';
  const tail = await readTail(size - 8, 8);
  if (Buffer.from(tail.subarray(4)).toString('latin1') !== 'PAR1') return 'no PAR1 footer magic';
  const len = Buffer.from(tail).readUInt32LE(0);
  if (len > MAX_FOOTER_BYTES || len > size - 12) return `footer length ${len} is impossible for a ${size}-byte file`;
  try {
    const rows = skipStruct(new Reader(await readTail(size - 8 - len, len)), 0, 3);
    if (rows === undefined || rows < 0n || rows > BigInt(Number.MAX_SAFE_INTEGER)) return 'footer has no valid num_rows';
    return Number(rows);
  } catch (err) {
    return `footer is malformed: ${(err as Error).message}`;
  }
}
