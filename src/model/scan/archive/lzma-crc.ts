/**
 * CRC32 (ISO-HDLC, as in zlib, xz and 7z) and CRC64 (ECMA-182, as in xz). Table-driven in plain TypeScript:
 * `zlib.crc32` exists only from Node 22.2 / 20.15, and this package supports Node 20.9.
 */

const CRC32_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC32 of `bytes`, continuing from `crc` (the value returned for the bytes before). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC32_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// xz spec §3.4 / ECMA-182 polynomial 0x42F0E1EBA9EA3693, reflected: 0xC96C5795D7870F42, kept as two 32-bit halves.
const CRC64_LO = new Uint32Array(256);
const CRC64_HI = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let lo = n;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const lsb = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (lsb) {
      lo = (lo ^ 0xd7870f42) >>> 0;
      hi = (hi ^ 0xc96c5795) >>> 0;
    }
  }
  CRC64_LO[n] = lo;
  CRC64_HI[n] = hi;
}

/** Incremental CRC64; `digest()` gives the 8 bytes as xz stores them (little-endian). */
export class Crc64 {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(bytes: Uint8Array): void {
    let lo = this.lo;
    let hi = this.hi;
    for (let i = 0; i < bytes.length; i++) {
      const idx = (lo ^ bytes[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx]!) >>> 0;
      hi = ((hi >>> 8) ^ CRC64_HI[idx]!) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
  }

  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ~this.lo >>> 0, true);
    view.setUint32(4, ~this.hi >>> 0, true);
    return out;
  }
}
