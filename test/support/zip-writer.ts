import { crc32, deflateRawSync } from 'node:zlib';

/** One member for `makeZip`; the quirk fields reproduce the tricks scanners have been bypassed with. */
export interface ZipMember {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Name written in the local header when it should differ from the directory (CVE-2025-1944). */
  localName?: string;
  /** General-purpose flag bits (bit 0: encrypted, CVE-2025-1945). */
  flags?: number;
  /** Store a wrong CRC (CVE-2025-10156). */
  badCrc?: boolean;
  /** Unix mode for the external attributes (e.g. 0o120777 for a symlink). */
  mode?: number;
  /** Declared uncompressed size, when it should lie. */
  declaredSize?: number;
}

/** Writes a zip byte by byte (APPNOTE 4.3), with an optional junk prefix before it. */
export function makeZip(members: ZipMember[], prefix: Uint8Array = new Uint8Array(0)): Uint8Array {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = prefix.length;
  for (const m of members) {
    const body = m.deflate === true ? deflateRawSync(m.data) : Buffer.from(m.data);
    const crc = m.badCrc === true ? (crc32(m.data) ^ 0xffffffff) >>> 0 : crc32(m.data);
    const name = Buffer.from(m.name);
    const lname = Buffer.from(m.localName ?? m.name);
    const method = m.deflate === true ? 8 : 0;
    const size = m.declaredSize ?? m.data.length;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(m.flags ?? 0, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(lname.length, 26);
    locals.push(lh, lname, body);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(m.mode === undefined ? 20 : (3 << 8) | 20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(m.flags ?? 0, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(m.mode === undefined ? 0 : (m.mode << 16) >>> 0, 38);
    ch.writeUInt32LE(offset - prefix.length, 42);
    central.push(ch, name);
    offset += 30 + lname.length + body.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset - prefix.length, 16);
  return Buffer.concat([Buffer.from(prefix), ...locals, cd, eocd]);
}
