import { crc32 } from './lzma-crc.js';

/**
 * Block or index records summarised (xz file format §4.3): count, sums and a CRC32 over the (unpadded size,
 * uncompressed size) pairs. The decoder builds one from the blocks it decoded and one from the index it read, and
 * they must be equal: the index is verified in constant memory, however many blocks the stream has.
 */
export class RecordList {
  count = 0;
  unpadded = 0;
  uncompressed = 0;
  hash = 0;

  add(unpadded: number, uncompressed: number): void {
    this.count++;
    this.unpadded += unpadded;
    this.uncompressed += uncompressed;
    const rec = new DataView(new ArrayBuffer(16));
    rec.setFloat64(0, unpadded, true);
    rec.setFloat64(8, uncompressed, true);
    this.hash = crc32(new Uint8Array(rec.buffer), this.hash);
  }

  equals(o: RecordList): boolean {
    return this.count === o.count && this.unpadded === o.unpadded && this.uncompressed === o.uncompressed && this.hash === o.hash;
  }
}
