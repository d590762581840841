import { crc32 } from 'node:zlib';
import type { ByteSink } from './byte-sink.js';

/**
 * A stored-only zip writer laid out like PyTorch's (caffe2/serialize/inline_container.cc over miniz): local headers
 * with zero sizes, general-purpose flags 0x0808 (data descriptor follows, UTF-8 names), an "FB" extra field of 'Z'
 * padding so every member's data starts on a 64-byte boundary, a data descriptor after each member, and a zip64
 * end record plus locator at the end whether or not they are needed. Field layouts: APPNOTE.TXT 4.3.7 (local
 * header), 4.3.9 (data descriptor), 4.3.12 (central directory header), 4.3.14–4.3.16 (zip64 end records), 4.5.3
 * (zip64 extended information extra field).
 */
interface Written {
  name: Uint8Array;
  offset: number;
  size: number;
  crc: number;
}

const ALIGN = 64;
const MAX32 = 0xffffffff;
const utf8 = new TextEncoder();

export class ZipWriter {
  private readonly members: Written[] = [];

  constructor(private readonly sink: ByteSink) {}

  /** A member whose bytes are given. */
  addBytes(name: string, bytes: Uint8Array): void {
    this.add(name, bytes.length, () => {
      this.sink.write(bytes);
      return crc32(bytes) >>> 0;
    });
  }

  /** A member of `size` bytes of tensor data (a hole when the sink is sparse). */
  addData(name: string, size: number): void {
    this.add(name, size, () => this.sink.data(size));
  }

  private add(name: string, size: number, body: () => number): void {
    // Our members stay under 4 GiB, so 32-bit data descriptors are exact; larger ones would need zip64 locals.
    if (size >= MAX32) throw new Error(`member ${name} is too large for this writer`);
    const nameBytes = utf8.encode(name);
    const offset = this.sink.position;
    // miniz pads with an "FB" extra field; a gap shorter than its 4-byte header takes a whole extra block.
    const pad = (ALIGN - ((offset + 30 + nameBytes.length + 4) % ALIGN)) % ALIGN;
    const h = new Fields(30 + nameBytes.length + 4 + pad);
    h.u32(0x04034b50).u16(0).u16(0x0808).u16(0).u16(0).u16(0).u32(0).u32(0).u32(0);
    h.u16(nameBytes.length).u16(4 + pad).bytes(nameBytes);
    h.u16(0x4246).u16(pad).bytes(new Uint8Array(pad).fill(0x5a));
    this.sink.write(h.done());
    const crc = body();
    this.sink.write(new Fields(16).u32(0x08074b50).u32(crc).u32(size).u32(size).done());
    this.members.push({ name: nameBytes, offset, size, crc });
  }

  /** Writes the central directory and the end records. */
  finish(): void {
    const cdStart = this.sink.position;
    for (const m of this.members) {
      const big = m.offset >= MAX32;
      const extra = big ? new Fields(12).u16(0x0001).u16(8).u64(m.offset).done() : new Uint8Array(0);
      const h = new Fields(46 + m.name.length + extra.length);
      // Version needed 4.5 when the zip64 extra field is present (APPNOTE 4.4.3.2), else 0 as torch writes.
      h.u32(0x02014b50).u16(0).u16(big ? 45 : 0).u16(0x0808).u16(0).u16(0).u16(0);
      h.u32(m.crc).u32(m.size).u32(m.size).u16(m.name.length).u16(extra.length).u16(0);
      h.u16(0).u16(0).u32(0).u32(big ? MAX32 : m.offset).bytes(m.name).bytes(extra);
      this.sink.write(h.done());
    }
    const cdSize = this.sink.position - cdStart;
    const z64At = this.sink.position;
    const n = this.members.length;
    this.sink.write(new Fields(56).u32(0x06064b50).u64(44).u16(0x031e).u16(45).u32(0).u32(0).u64(n).u64(n).u64(cdSize).u64(cdStart).done());
    this.sink.write(new Fields(20).u32(0x07064b50).u32(0).u64(z64At).u32(1).done());
    const e = new Fields(22).u32(0x06054b50).u16(0).u16(0).u16(Math.min(n, 0xffff)).u16(Math.min(n, 0xffff));
    this.sink.write(e.u32(Math.min(cdSize, MAX32)).u32(cdStart >= MAX32 ? MAX32 : cdStart).u16(0).done());
  }
}

/** Little-endian field writer for fixed-size records. */
class Fields {
  private readonly b: Uint8Array;
  private readonly dv: DataView;
  private at = 0;

  constructor(size: number) {
    this.b = new Uint8Array(size);
    this.dv = new DataView(this.b.buffer);
  }

  u16(v: number): this {
    this.dv.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }

  u32(v: number): this {
    this.dv.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }

  u64(v: number): this {
    this.dv.setUint32(this.at, v % 0x100000000, true);
    this.dv.setUint32(this.at + 4, Math.floor(v / 0x100000000), true);
    this.at += 8;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.b.set(v, this.at);
    this.at += v.length;
    return this;
  }

  done(): Uint8Array {
    if (this.at !== this.b.length) throw new Error(`internal: record filled ${this.at} of ${this.b.length} bytes`);
    return this.b;
  }
}
