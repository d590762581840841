import { crc32 } from './lzma-crc.js';
import { LzmaError } from './lzma-error.js';
import { Lzma2Decoder, lzma2DictSize } from './lzma2.js';
import type { LzmaOptions, StreamDecoder } from './lzma.js';
import { checkDictSize } from './lzma-window.js';
import { XZ_CHECK_SIZES, createXzCheck, type XzCheck } from './xz-check.js';
import { RecordList } from './xz-index.js';

/**
 * The .xz container (The .xz File Format, version 1.2.1, tukaani.org/xz/xz-file-format.txt). Section numbers below
 * refer to it. Only LZMA2 blocks are decoded; the BCJ and delta filters are refused by name.
 *
 * Headers, the index and the footer are parsed as bytes arrive; block data goes to the LZMA2 decoder. Memory does
 * not grow with the number of blocks: the index is checked against running sums and a CRC32 over the records,
 * the way liblzma does it with a hash.
 */
const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FOOTER_MAGIC = [0x59, 0x5a];
const FILTER_LZMA2 = 0x21;
const FILTER_NAMES: Record<number, string> = {
  0x03: 'delta',
  0x04: 'x86 BCJ',
  0x05: 'PowerPC BCJ',
  0x06: 'IA-64 BCJ',
  0x07: 'ARM BCJ',
  0x08: 'ARM-Thumb BCJ',
  0x09: 'SPARC BCJ',
  0x0a: 'ARM64 BCJ',
  0x0b: 'RISC-V BCJ',
};

type Phase =
  | 'stream-header'
  | 'block-start'
  | 'block-header'
  | 'block-data'
  | 'block-padding'
  | 'block-check'
  | 'index'
  | 'index-padding'
  | 'index-crc'
  | 'footer'
  | 'stream-padding';

/** Reads a variable-length integer (§1.2) from `buf` at `pos`; returns [value, next position]. */
function readVli(buf: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    if (pos >= end) throw new LzmaError('corrupt', 'xz block header ends inside a number');
    const b = buf[pos++]!;
    if (i > 0 && b === 0) throw new LzmaError('corrupt', 'xz number is not minimally encoded');
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (value > Number.MAX_SAFE_INTEGER) throw new LzmaError('unsupported', 'xz number above 2^53');
      return [value, pos];
    }
  }
  throw new LzmaError('corrupt', 'xz number is longer than 9 bytes');
}

class XzDecoder implements StreamDecoder {
  private phase: Phase = 'stream-header';
  /** Collects fixed-size fields (headers, checks, footer) that may arrive split across pushes. */
  private readonly field = new Uint8Array(1024);
  private need = 12;
  private have = 0;
  private streams = 0;
  private flags = new Uint8Array(2);
  private checkType = 0;
  // Current block.
  private lzma2: Lzma2Decoder | undefined;
  private check: XzCheck = createXzCheck(0);
  private headerSize = 0;
  private compressed = 0;
  private uncompressed = 0;
  private declaredCompressed: number | undefined;
  private declaredUncompressed: number | undefined;
  private padLeft = 0;
  // Current stream's index.
  private blocks = new RecordList();
  private records = new RecordList();
  private indexSize = 0;
  private indexCrc = 0;
  private recordsLeft = -1;
  private vliValue = 0;
  private vliBytes = 0;
  private pendingUnpadded = -1;
  private streamPadding = 0;
  private out: (bytes: Uint8Array) => void = () => {};

  constructor(private readonly opts: LzmaOptions) {}

  push(chunk: Uint8Array, out: (bytes: Uint8Array) => void): void {
    this.out = out;
    let pos = 0;
    while (pos < chunk.length) pos = this.step(chunk, pos);
    this.lzma2?.window.flush();
  }

  end(out: (bytes: Uint8Array) => void): void {
    this.out = out;
    this.lzma2?.window.flush();
    if (this.phase === 'stream-padding' && this.streamPadding % 4 === 0) return;
    if (this.phase === 'stream-padding') throw new LzmaError('corrupt', 'xz stream padding is not a multiple of 4 bytes');
    if (this.streams === 0 && this.have === 0) throw new LzmaError('truncated', 'empty input is not an xz stream');
    throw new LzmaError('truncated', `xz data ends inside the ${this.phase.replace('-', ' ')}`);
  }

  /** Handles input from `pos` within the current phase; returns the position after what it consumed. */
  private step(buf: Uint8Array, pos: number): number {
    switch (this.phase) {
      case 'block-data':
        return this.blockData(buf, pos);
      case 'block-start':
        this.blockStart(buf[pos]!);
        return pos + 1;
      case 'block-padding':
        if (buf[pos] !== 0) throw new LzmaError('corrupt', 'xz block padding is not zero');
        if (--this.padLeft === 0) this.startCheck();
        return pos + 1;
      case 'index':
        this.indexByte(buf[pos]!);
        return pos + 1;
      case 'index-padding':
        if (buf[pos] !== 0) throw new LzmaError('corrupt', 'xz index padding is not zero');
        this.indexCrc = crc32(buf.subarray(pos, pos + 1), this.indexCrc);
        this.indexSize++;
        if (this.indexSize % 4 === 0) this.collect('index-crc', 4);
        return pos + 1;
      case 'stream-padding':
        if (buf[pos] === 0) {
          this.streamPadding++;
          return pos + 1;
        }
        if (this.streamPadding % 4 !== 0) throw new LzmaError('corrupt', 'xz stream padding is not a multiple of 4 bytes');
        this.collect('stream-header', 12);
        return pos;
      default: {
        const n = Math.min(buf.length - pos, this.need - this.have);
        this.field.set(buf.subarray(pos, pos + n), this.have);
        this.have += n;
        if (this.have === this.need) this.fieldDone(this.field.subarray(0, this.need));
        return pos + n;
      }
    }
  }

  private collect(phase: Phase, need: number): void {
    this.phase = phase;
    this.need = need;
    this.have = 0;
  }

  private fieldDone(f: Uint8Array): void {
    switch (this.phase) {
      case 'stream-header':
        return this.streamHeader(f);
      case 'block-header':
        return this.blockHeader(f);
      case 'block-check':
        return this.blockCheck(f);
      case 'index-crc':
        return this.indexEnd(f);
      case 'footer':
        return this.footer(f);
      default:
        throw new Error(`internal: xz phase ${this.phase} has no field`);
    }
  }

  /** §2.1.1: magic, two flag bytes (the second's low nibble is the check type), CRC32 of the flags. */
  private streamHeader(f: Uint8Array): void {
    if (!MAGIC.every((b, i) => f[i] === b)) throw new LzmaError('corrupt', 'not an xz stream (bad magic bytes)');
    if (f[6] !== 0 || (f[7]! & 0xf0) !== 0) throw new LzmaError('unsupported', 'xz stream flags use reserved bits');
    if (crc32(f.subarray(6, 8)) !== u32(f, 8)) throw new LzmaError('corrupt', 'xz stream header CRC32 mismatch');
    this.flags = f.slice(6, 8);
    this.checkType = f[7]! & 0x0f;
    this.streams++;
    this.blocks = new RecordList();
    this.records = new RecordList();
    this.phase = 'block-start';
  }

  private blockStart(b: number): void {
    if (b === 0) {
      // §4.1: an index indicator instead of a block header size.
      this.phase = 'index';
      this.indexSize = 1;
      this.indexCrc = crc32(Uint8Array.of(0));
      this.recordsLeft = -1;
      this.vliValue = 0;
      this.vliBytes = 0;
      return;
    }
    this.collect('block-header', (b + 1) * 4);
    this.field[0] = b;
    this.have = 1;
  }

  /** §3.1: size, flags, optional sizes, filter flags, zero padding, CRC32. */
  private blockHeader(f: Uint8Array): void {
    const end = f.length - 4;
    if (crc32(f.subarray(0, end)) !== u32(f, end)) throw new LzmaError('corrupt', 'xz block header CRC32 mismatch');
    const flags = f[1]!;
    if ((flags & 0x3c) !== 0) throw new LzmaError('unsupported', 'xz block flags use reserved bits');
    let pos = 2;
    this.declaredCompressed = undefined;
    this.declaredUncompressed = undefined;
    if (flags & 0x40) [this.declaredCompressed, pos] = readVli(f, pos, end);
    if (flags & 0x80) [this.declaredUncompressed, pos] = readVli(f, pos, end);
    if (this.declaredCompressed === 0) throw new LzmaError('corrupt', 'xz block declares zero compressed bytes');
    const filters = (flags & 0x03) + 1;
    let dictProp = -1;
    for (let i = 0; i < filters; i++) {
      let id: number;
      let size: number;
      [id, pos] = readVli(f, pos, end);
      [size, pos] = readVli(f, pos, end);
      if (pos + size > end) throw new LzmaError('corrupt', 'xz filter properties overrun the block header');
      if (id !== FILTER_LZMA2 || i !== filters - 1) {
        const name = FILTER_NAMES[id] ?? `0x${id.toString(16)}`;
        throw new LzmaError('unsupported', `xz block uses the ${name} filter; only LZMA2 is supported`);
      }
      if (size !== 1) throw new LzmaError('corrupt', 'xz LZMA2 filter properties are not 1 byte');
      dictProp = f[pos]!;
      pos += size;
    }
    for (; pos < end; pos++) if (f[pos] !== 0) throw new LzmaError('corrupt', 'xz block header padding is not zero');
    const dictSize = checkDictSize(lzma2DictSize(dictProp), this.declaredUncompressed, this.opts);
    this.lzma2 = new Lzma2Decoder(dictSize);
    this.check = createXzCheck(this.checkType);
    this.headerSize = f.length;
    this.compressed = 0;
    this.uncompressed = 0;
    this.lzma2.window.out = (bytes) => {
      this.check.update(bytes);
      this.uncompressed += bytes.length;
      this.out(bytes);
    };
    this.phase = 'block-data';
  }

  private blockData(buf: Uint8Array, pos: number): number {
    const lzma2 = this.lzma2!;
    const next = lzma2.feed(buf, pos, buf.length);
    this.compressed += next - pos;
    if (this.declaredCompressed !== undefined && this.compressed > this.declaredCompressed) {
      throw new LzmaError('corrupt', 'xz block data is longer than its header declares');
    }
    if (lzma2.finished) {
      lzma2.window.flush();
      if (this.declaredCompressed !== undefined && this.compressed !== this.declaredCompressed) {
        throw new LzmaError('corrupt', 'xz block compressed size does not match its header');
      }
      if (this.declaredUncompressed !== undefined && this.uncompressed !== this.declaredUncompressed) {
        throw new LzmaError('corrupt', 'xz block uncompressed size does not match its header');
      }
      // §3.2: block padding makes header + compressed data a multiple of 4 bytes.
      this.padLeft = (4 - ((this.headerSize + this.compressed) % 4)) % 4;
      this.phase = 'block-padding';
      if (this.padLeft === 0) this.startCheck();
    }
    return next;
  }

  private startCheck(): void {
    const size = XZ_CHECK_SIZES[this.checkType]!;
    this.collect('block-check', size);
    if (size === 0) this.blockCheck(new Uint8Array(0));
  }

  private blockCheck(f: Uint8Array): void {
    const want = this.check.digest();
    if (want !== undefined && !want.every((b, i) => f[i] === b)) {
      throw new LzmaError('corrupt', 'xz block check does not match the decoded data');
    }
    this.blocks.add(this.headerSize + this.compressed + f.length, this.uncompressed);
    this.lzma2 = undefined;
    this.phase = 'block-start';
  }

  /** §4.2–4.3: number of records, then (unpadded size, uncompressed size) pairs, each a VLI. */
  private indexByte(b: number): void {
    this.indexCrc = crc32(Uint8Array.of(b), this.indexCrc);
    this.indexSize++;
    if (this.vliBytes > 0 && b === 0) throw new LzmaError('corrupt', 'xz index number is not minimally encoded');
    this.vliValue += (b & 0x7f) * 2 ** (7 * this.vliBytes);
    this.vliBytes++;
    if (b & 0x80) {
      if (this.vliBytes === 9) throw new LzmaError('corrupt', 'xz index number is longer than 9 bytes');
      return;
    }
    const v = this.vliValue;
    this.vliValue = 0;
    this.vliBytes = 0;
    if (this.recordsLeft < 0) {
      if (v !== this.blocks.count) throw new LzmaError('corrupt', `xz index lists ${v} blocks, the stream has ${this.blocks.count}`);
      this.recordsLeft = v;
    } else if (this.pendingUnpadded < 0) {
      this.pendingUnpadded = v;
      return;
    } else {
      this.records.add(this.pendingUnpadded, v);
      this.pendingUnpadded = -1;
      this.recordsLeft--;
    }
    if (this.recordsLeft === 0) {
      this.phase = 'index-padding';
      if (this.indexSize % 4 === 0) this.collect('index-crc', 4);
    }
  }

  private indexEnd(f: Uint8Array): void {
    if (u32(f, 0) !== this.indexCrc) throw new LzmaError('corrupt', 'xz index CRC32 mismatch');
    if (!this.records.equals(this.blocks)) throw new LzmaError('corrupt', 'xz index does not match the blocks');
    this.indexSize += 4;
    this.collect('footer', 12);
  }

  /** §2.1.2: CRC32, backward size, flags (same as the header's), magic "YZ". */
  private footer(f: Uint8Array): void {
    if (f[10] !== FOOTER_MAGIC[0] || f[11] !== FOOTER_MAGIC[1]) throw new LzmaError('corrupt', 'xz stream footer magic is missing');
    if (crc32(f.subarray(4, 10)) !== u32(f, 0)) throw new LzmaError('corrupt', 'xz stream footer CRC32 mismatch');
    if ((u32(f, 4) + 1) * 4 !== this.indexSize) throw new LzmaError('corrupt', 'xz footer backward size does not match the index');
    if (f[8] !== this.flags[0] || f[9] !== this.flags[1]) throw new LzmaError('corrupt', 'xz footer flags differ from the header');
    this.phase = 'stream-padding';
    this.streamPadding = 0;
  }
}

const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** An .xz file: one or more streams, optionally separated by stream padding (§2.2). */
export function createXzDecoder(opts: LzmaOptions = {}): StreamDecoder {
  return new XzDecoder(opts);
}
