import type { Blob } from '../blob.js';

/**
 * A bounded reader of a zip's central directory (APPNOTE.TXT 6.3.10). Hand-written rather than yauzl or
 * zip.js because the scanner must *report* what those libraries reject or silently fix — names that differ between
 * the local header and the directory, encrypted-flag tricks, junk before the archive, traversal names — and must
 * read members the way PyTorch's miniz does (directory first, CRC ignored).
 */
export interface ZipEntry {
  /** Name as stored in the central directory. */
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Offset of the local header, already corrected for bytes before the archive. */
  localOffset: number;
  externalAttrs: number;
  madeBy: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Bytes before the archive (a junk prefix or a self-extractor stub). */
  prefix: number;
  /** Entries the directory declares beyond the member limit. */
  omitted: number;
}

export class ZipFormatError extends Error {}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CDH = 0x02014b50;

const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
const u64 = (b: Uint8Array, o: number): number => u32(b, o) + u32(b, o + 4) * 0x100000000;

export async function readZipDirectory(blob: Blob, maxEntries: number): Promise<ZipDirectory> {
  const tailLen = Math.min(blob.size, 22 + 0xffff);
  const tailStart = blob.size - tailLen;
  const tail = await blob.read(tailStart, tailLen);
  let eocd = -1;
  // The last record whose comment length reaches exactly to the end wins; otherwise the last signature found.
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) !== EOCD) continue;
    if (eocd < 0) eocd = i;
    if (i + 22 + u16(tail, i + 20) === tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('no end-of-central-directory record');
  let count = u16(tail, eocd + 10);
  let cdSize = u32(tail, eocd + 12);
  let cdOffset = u32(tail, eocd + 16);
  let cdEnd = tailStart + eocd;
  if (eocd >= 20 && u32(tail, eocd - 20) === ZIP64_LOCATOR) {
    const z64At = u64(tail, eocd - 20 + 8);
    const rec = await blob.read(z64At, 56);
    // A prefix shifts the recorded offset; fall back to the record just before the locator.
    const z64 = rec.length === 56 && u32(rec, 0) === ZIP64_EOCD ? rec : await blob.read(tailStart + eocd - 20 - 56, 56);
    if (z64.length === 56 && u32(z64, 0) === ZIP64_EOCD) {
      count = u64(z64, 32);
      cdSize = u64(z64, 40);
      cdOffset = u64(z64, 48);
      cdEnd = tailStart + eocd - 20 - 56;
    }
  }
  const cdStart = cdEnd - cdSize;
  if (cdStart < 0 || cdSize > blob.size) throw new ZipFormatError(`central directory size ${cdSize} does not fit the file`);
  const prefix = cdStart - cdOffset;
  if (prefix < 0) throw new ZipFormatError(`central directory offset ${cdOffset} points past its end`);
  // 46 bytes is the smallest directory header, so the bytes bound the count whatever the record claims.
  const maxByBytes = Math.floor(cdSize / 46);
  const declared = Math.min(count, maxByBytes);
  const take = Math.min(declared, maxEntries);
  const cd = await blob.read(cdStart, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < take; i++) {
    if (p + 46 > cd.length || u32(cd, p) !== CDH) throw new ZipFormatError(`directory entry ${i} is malformed at offset ${cdStart + p}`);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw new ZipFormatError(`directory entry ${i} overruns the directory`);
    const flags = u16(cd, p + 8);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLen);
    let compressedSize = u32(cd, p + 20);
    let size = u32(cd, p + 24);
    let localOffset = u32(cd, p + 42);
    // Zip64 extended information (header id 1): only the fields that are 0xFFFFFFFF in the record, in order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = u16(cd, e);
      const len = u16(cd, e + 2);
      if (id === 1) {
        let q = e + 4;
        const end = Math.min(q + len, eEnd);
        if (size === 0xffffffff && q + 8 <= end) {
          size = u64(cd, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff && q + 8 <= end) {
          compressedSize = u64(cd, q);
          q += 8;
        }
        if (localOffset === 0xffffffff && q + 8 <= end) localOffset = u64(cd, q);
      }
      e += 4 + len;
    }
    entries.push({
      name: decodeName(nameBytes, (flags & 0x800) !== 0),
      flags,
      method: u16(cd, p + 10),
      crc32: u32(cd, p + 16),
      compressedSize,
      size,
      localOffset: localOffset + prefix,
      externalAttrs: u32(cd, p + 38),
      madeBy: cd[p + 5]!,
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, prefix, omitted: declared - take };
}

/** Names are UTF-8 when flag bit 11 is set, else CP437; Latin-1 stands in for CP437 (same ASCII, readable rest). */
export function decodeName(b: Uint8Array, utf8: boolean): string {
  if (utf8) return new TextDecoder('utf-8', { fatal: false }).decode(b);
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

export interface LocalHeader {
  name: string;
  dataOffset: number;
  flags: number;
}

/** Reads the local header of an entry: its own name and where its data starts. */
export async function readLocalHeader(blob: Blob, entry: ZipEntry): Promise<LocalHeader> {
  const h = await blob.read(entry.localOffset, 30);
  if (h.length < 30 || u32(h, 0) !== 0x04034b50) throw new ZipFormatError(`member '${entry.name}' has no local header at offset ${entry.localOffset}`);
  const nameLen = u16(h, 26);
  const extraLen = u16(h, 28);
  const nameBytes = await blob.read(entry.localOffset + 30, nameLen);
  const flags = u16(h, 6);
  return { name: decodeName(nameBytes, (flags & 0x800) !== 0), dataOffset: entry.localOffset + 30 + nameLen + extraLen, flags };
}
