import { noiseBlock, type ByteSink } from './byte-sink.js';

/**
 * A pickle opcode assembler that writes what CPython's pickler writes for the same objects (opcode choice, memo
 * puts, batching, protocol-4 framing), without Python. Generators call it object by object, so a 200 MB pickle
 * is streamed to disk, never held in memory. Opcode values and encodings: CPython Lib/pickletools.py.
 */
export type Protocol = 2 | 4 | 5;

/** pickle.py `_FRAME_SIZE_TARGET`: a frame is closed at the first opcode boundary past 64 KiB. */
const FRAME_TARGET = 64 * 1024;
/** pickle.py `_FRAME_SIZE_MIN`: shorter frames get no FRAME header. */
const FRAME_MIN = 4;
const FRAME_HEADER = 9;
/** pickle.py `_BATCHSIZE`: APPENDS / SETITEMS carry at most 1000 items each. */
export const BATCH = 1000;
const FLUSH_AT = 1 << 20;

const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  NONE: 0x4e,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  APPENDS: 0x65,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  SETITEMS: 0x75,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_TUPLE: 0x29,
  BINFLOAT: 0x47,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  PROTO: 0x80,
  TUPLE1: 0x85,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  SHORT_BINUNICODE: 0x8c,
  BINBYTES8: 0x8e,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
} as const;

const utf8 = new TextEncoder();

export class PickleAssembler {
  /** Opcodes written so far (FRAME included, as a walker counts it). */
  opcodes = 0;
  private memoSize = 0;
  private readonly shared = new Map<string, number>();
  private buf = new Uint8Array(FLUSH_AT * 2);
  private len = 0;
  /** Index in `buf` of the reserved FRAME header of the open frame, or -1. */
  private frameAt = -1;
  private readonly framing: boolean;

  constructor(
    private readonly sink: ByteSink,
    readonly protocol: Protocol,
  ) {
    this.framing = protocol >= 4;
  }

  // ---- stream ----

  /** PROTO, written before the first frame as CPython does. */
  begin(): this {
    this.op(OP.PROTO).u8(this.protocol);
    this.openFrame();
    return this;
  }

  /** STOP, then the last frame is closed and everything flushed. Returns the pickle's byte length so far. */
  end(): number {
    this.op(OP.STOP);
    this.commitFrame(true);
    this.flush();
    return this.sink.position;
  }

  /**
   * pickle.py commits a frame at the start of each `save()` once it holds 64 KiB; the helpers below call this
   * before each object so frames close at the same kind of boundary.
   */
  private boundary(): void {
    if (this.frameAt >= 0 && this.len - this.frameAt - FRAME_HEADER >= FRAME_TARGET) this.commitFrame(false);
  }

  private openFrame(): void {
    if (!this.framing) return;
    this.ensure(FRAME_HEADER);
    this.frameAt = this.len;
    this.len += FRAME_HEADER;
  }

  private commitFrame(final: boolean): void {
    if (this.frameAt < 0) return;
    const at = this.frameAt;
    const n = this.len - at - FRAME_HEADER;
    if (n >= FRAME_MIN) {
      this.buf[at] = OP.FRAME;
      writeU64(this.buf, at + 1, n);
      this.opcodes++;
    } else {
      this.buf.copyWithin(at, at + FRAME_HEADER, this.len);
      this.len -= FRAME_HEADER;
    }
    this.frameAt = -1;
    if (this.len >= FLUSH_AT) this.flush();
    if (!final) this.openFrame();
  }

  private flush(): void {
    if (this.frameAt >= 0) throw new Error('internal: flush inside an open frame');
    if (this.len > 0) this.sink.write(this.buf.subarray(0, this.len));
    this.len = 0;
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  // ---- raw encoding ----

  private op(code: number): this {
    this.opcodes++;
    return this.u8(code);
  }

  private u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v;
    return this;
  }

  private u16(v: number): this {
    return this.u8(v & 0xff).u8(v >>> 8);
  }

  private u32(v: number): this {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.len, v >>> 0, true);
    this.len += 4;
    return this;
  }

  private u64(v: number): this {
    this.ensure(8);
    writeU64(this.buf, this.len, v);
    this.len += 8;
    return this;
  }

  private raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  // ---- memo ----

  /** Memoizes the top of the stack as pickle.py's `memoize()` does: MEMOIZE (protocol 4+) or BINPUT/LONG_BINPUT. */
  memoize(): number {
    const idx = this.memoSize++;
    if (this.protocol >= 4) this.op(OP.MEMOIZE);
    else if (idx < 256) this.op(OP.BINPUT).u8(idx);
    else this.op(OP.LONG_BINPUT).u32(idx);
    return idx;
  }

  /** The memo index of the object just memoized (for objects CPython shares by identity, like a dtype). */
  get lastMemo(): number {
    return this.memoSize - 1;
  }

  get(idx: number): this {
    this.boundary();
    return idx < 256 ? this.op(OP.BINGET).u8(idx) : this.op(OP.LONG_BINGET).u32(idx);
  }

  // ---- scalars ----

  none(): this {
    this.boundary();
    return this.op(OP.NONE);
  }

  bool(v: boolean): this {
    this.boundary();
    return this.op(v ? OP.NEWTRUE : OP.NEWFALSE);
  }

  /** pickle.py `save_long`: BININT1, BININT2, BININT, else LONG1 (two's complement, little-endian). */
  int(v: number | bigint): this {
    this.boundary();
    if (typeof v === 'bigint') return this.long(v);
    if (v >= 0 && v <= 0xff) return this.op(OP.BININT1).u8(v);
    if (v >= 0 && v <= 0xffff) return this.op(OP.BININT2).u16(v);
    if (v >= -0x80000000 && v <= 0x7fffffff) return this.op(OP.BININT).u32(v);
    return this.long(BigInt(v));
  }

  private long(v: bigint): this {
    const bytes: number[] = [];
    let x = v;
    while (true) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
      const top = bytes[bytes.length - 1]!;
      if ((x === 0n && top < 0x80) || (x === -1n && top >= 0x80)) break;
    }
    this.op(OP.LONG1).u8(bytes.length);
    return this.raw(Uint8Array.from(bytes));
  }

  float(v: number): this {
    this.boundary();
    this.op(OP.BINFLOAT);
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, v, false);
    this.len += 8;
    return this;
  }

  /**
   * A str, memoized. With `share`, a repeat of the same text is a BINGET of the first copy, as for the interned
   * keys and names CPython pickles by identity; unique text (record values) should not be shared.
   */
  str(s: string, share = false): this {
    if (share) {
      const idx = this.shared.get(s);
      if (idx !== undefined) return this.get(idx);
    }
    this.boundary();
    const b = utf8.encode(s);
    if (this.protocol >= 4 && b.length < 256) this.op(OP.SHORT_BINUNICODE).u8(b.length);
    else this.op(OP.BINUNICODE).u32(b.length);
    this.raw(b);
    const idx = this.memoize();
    if (share) this.shared.set(s, idx);
    return this;
  }

  /** `bytes` of `n` bytes (from the sink's data when large), memoized: SHORT_BINBYTES, BINBYTES or BINBYTES8. */
  bytes(n: number, small?: Uint8Array): this {
    if (this.protocol < 3) throw new Error('bytes need protocol 3 or later');
    this.boundary();
    const header = n < 256 ? [OP.SHORT_BINBYTES, 1] : n <= 0xffffffff ? [OP.BINBYTES, 4] : [OP.BINBYTES8, 8];
    return this.payload(header[0]!, header[1]!, n, small);
  }

  /** A writable NumPy array's buffer under protocol 5: BYTEARRAY8 (pickle.py `save_picklebuffer`, in-band). */
  bytearray(n: number, small?: Uint8Array): this {
    this.boundary();
    return this.payload(OP.BYTEARRAY8, 8, n, small);
  }

  private payload(code: number, lenBytes: number, n: number, small?: Uint8Array): this {
    // C _pickle `_Pickler_write_bytes`: a payload of 64 KiB or more closes the frame and is written unframed,
    // header included. Such payloads come from the sink (holes in a sparse file); smaller ones are inline noise.
    const large = n >= FRAME_TARGET;
    if (large) this.commitFrame(true);
    this.op(code);
    if (lenBytes === 1) this.u8(n);
    else if (lenBytes === 4) this.u32(n);
    else this.u64(n);
    if (small !== undefined) this.raw(small.subarray(0, n));
    else if (!large) {
      const at = (this.opcodes * 4099) % (noiseBlock().length - n);
      this.raw(noiseBlock().subarray(at, at + n));
    } else {
      this.flush();
      this.sink.data(n);
      this.openFrame();
    }
    this.memoize();
    return this;
  }

  // ---- globals and objects ----

  private readonly globals = new Map<string, number>();

  /** A class or function reference, memoized once (later uses are BINGETs, as CPython's memo by identity does). */
  global(module: string, name: string): this {
    const key = `${module}\n${name}`;
    const idx = this.globals.get(key);
    if (idx !== undefined) return this.get(idx);
    this.boundary();
    if (this.protocol >= 4) {
      this.str(module, true).str(name, true);
      this.op(OP.STACK_GLOBAL);
    } else {
      this.op(OP.GLOBAL).raw(utf8.encode(`${module}\n${name}\n`));
    }
    this.globals.set(key, this.memoize());
    return this;
  }

  mark(): this {
    this.boundary();
    return this.op(OP.MARK);
  }

  /** Opens a tuple of `n` items: MARK only when n > 3 (TUPLE1–3 need none). */
  tupleOpen(n: number): this {
    this.boundary();
    return n > 3 ? this.op(OP.MARK) : this;
  }

  /** Closes a tuple of `n` items; the empty tuple is a constant and is not memoized (pickle.py `save_tuple`). */
  tupleClose(n: number): this {
    if (n === 0) return this.op(OP.EMPTY_TUPLE);
    this.op(n <= 3 ? OP.TUPLE1 + n - 1 : OP.TUPLE);
    this.memoize();
    return this;
  }

  emptyDict(): this {
    this.boundary();
    this.op(OP.EMPTY_DICT).memoize();
    return this;
  }

  emptyList(): this {
    this.boundary();
    this.op(OP.EMPTY_LIST).memoize();
    return this;
  }

  setitem(): this {
    return this.op(OP.SETITEM);
  }

  setitems(): this {
    return this.op(OP.SETITEMS);
  }

  append(): this {
    return this.op(OP.APPEND);
  }

  appends(): this {
    return this.op(OP.APPENDS);
  }

  /** REDUCE, memoized as `save_reduce` memoizes the object it built. */
  reduce(): this {
    this.op(OP.REDUCE).memoize();
    return this;
  }

  build(): this {
    return this.op(OP.BUILD);
  }

  binpersid(): this {
    return this.op(OP.BINPERSID);
  }

  /**
   * Writes `count` key/value pairs the way `_batch_setitems` does: one SETITEM for a single pair, otherwise
   * MARK … SETITEMS per 1000 pairs. `item(i)` writes key and value.
   */
  dictItems(count: number, item: (i: number) => void): this {
    if (count === 1) {
      item(0);
      return this.setitem();
    }
    for (let i = 0; i < count; i += BATCH) {
      const n = Math.min(BATCH, count - i);
      if (n === 1) {
        item(i);
        this.setitem();
        continue;
      }
      this.mark();
      for (let j = 0; j < n; j++) item(i + j);
      this.setitems();
    }
    return this;
  }

  /** `_batch_appends`: APPEND for a single item, otherwise MARK … APPENDS per 1000 items. */
  listItems(count: number, item: (i: number) => void): this {
    if (count === 1) {
      item(0);
      return this.append();
    }
    for (let i = 0; i < count; i += BATCH) {
      const n = Math.min(BATCH, count - i);
      if (n === 1) {
        item(i);
        this.append();
        continue;
      }
      this.mark();
      for (let j = 0; j < n; j++) item(i + j);
      this.appends();
    }
    return this;
  }
}

function writeU64(b: Uint8Array, at: number, v: number): void {
  const dv = new DataView(b.buffer, b.byteOffset);
  dv.setUint32(at, v % 0x100000000, true);
  dv.setUint32(at + 4, Math.floor(v / 0x100000000), true);
}
