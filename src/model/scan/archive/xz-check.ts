import { createHash } from 'node:crypto';
import { Crc64, crc32 } from './lzma-crc.js';

/** Size in bytes of each xz check type (xz file format spec §2.1.1.2; IDs without a defined check are reserved). */
export const XZ_CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64] as const;

/** The integrity check over a block's uncompressed data. */
export interface XzCheck {
  update(bytes: Uint8Array): void;
  /** The expected check field, or undefined for check types this decoder does not verify. */
  digest(): Uint8Array | undefined;
}

/** Check IDs 0x00 none, 0x01 CRC32, 0x04 CRC64 and 0x0A SHA-256 are verified; reserved IDs are skipped by size, as xz does. */
export function createXzCheck(type: number): XzCheck {
  switch (type) {
    case 0x01: {
      let crc = 0;
      return {
        update: (b) => void (crc = crc32(b, crc)),
        digest: () => {
          const d = new Uint8Array(4);
          new DataView(d.buffer).setUint32(0, crc, true);
          return d;
        },
      };
    }
    case 0x04: {
      const crc = new Crc64();
      return { update: (b) => crc.update(b), digest: () => crc.digest() };
    }
    case 0x0a: {
      const hash = createHash('sha256');
      return { update: (b) => void hash.update(b), digest: () => new Uint8Array(hash.digest()) };
    }
    case 0x00:
      return { update: () => {}, digest: () => new Uint8Array(0) };
    default:
      return { update: () => {}, digest: () => undefined };
  }
}
