import { LzmaDecoder, parsePropsByte } from './lzma-decoder.js';
import { LzmaError } from './lzma-error.js';
import { OutWindow, checkDictSize } from './lzma-window.js';
import type { LzmaOptions, StreamDecoder } from './lzma.js';

/**
 * LZMA2, the chunked container around LZMA used by xz and 7z (format as implemented by liblzma's
 * lzma2_decoder.c and the LZMA SDK's Lzma2Dec.c; there is no separate specification). Each chunk starts with a
 * control byte:
 * - 0x00: end of stream;
 * - 0x01 / 0x02: uncompressed chunk, with / without a dictionary reset; u16 BE size - 1 follows;
 * - 0x80–0xFF: LZMA chunk; bits 0–4 are bits 16–20 of (uncompressed size - 1), then u16 BE of the rest, u16 BE
 *   (compressed size - 1), and a properties byte when bits 5–6 ask for new properties. Bits 5–6: 0 nothing reset,
 *   1 state reset, 2 state reset + new properties, 3 all that + dictionary reset.
 * An LZMA chunk holds at most 64 KiB of compressed data, so it is buffered whole and decoded in one go: that
 * makes the decoder resumable without any symbol-level bookkeeping.
 */
const MAX_PACKED = 1 << 16;

/** Dictionary size from the one-byte LZMA2 property (xz spec §5.3.1; 7z uses the same byte). */
export function lzma2DictSize(prop: number): number {
  if ((prop & 0xc0) !== 0 || prop > 40) throw new LzmaError('corrupt', `LZMA2 dictionary property ${prop} is invalid`);
  if (prop === 40) return 0xffffffff;
  return (2 | (prop & 1)) * 2 ** (Math.floor(prop / 2) + 11);
}

type Phase = 'control' | 'header' | 'packed' | 'copy' | 'done';

/** The LZMA2 state machine; `feed` is also used by the xz decoder, which needs to know where the data ends. */
export class Lzma2Decoder {
  readonly window: OutWindow;
  private readonly lzma: LzmaDecoder;
  private phase: Phase = 'control';
  private control = 0;
  private readonly header = new Uint8Array(5);
  private headerNeed = 0;
  private headerHave = 0;
  private readonly packed = new Uint8Array(MAX_PACKED);
  private packedSize = 0;
  private packedHave = 0;
  private unpackedSize = 0;
  private copyLeft = 0;
  private needDictReset = true;
  private needProps = true;

  constructor(dictSize: number) {
    this.window = new OutWindow(dictSize);
    this.lzma = new LzmaDecoder(this.window);
  }

  get finished(): boolean {
    return this.phase === 'done';
  }

  /** Consumes `input[pos..end)` up to the end-of-stream byte; returns the position after what it consumed. */
  feed(input: Uint8Array, pos: number, end: number): number {
    while (pos < end && this.phase !== 'done') {
      switch (this.phase) {
        case 'control':
          this.startChunk(input[pos++]!);
          break;
        case 'header': {
          const n = Math.min(end - pos, this.headerNeed - this.headerHave);
          this.header.set(input.subarray(pos, pos + n), this.headerHave);
          this.headerHave += n;
          pos += n;
          if (this.headerHave === this.headerNeed) this.parseHeader();
          break;
        }
        case 'copy': {
          const n = Math.min(end - pos, this.copyLeft);
          this.window.putBytes(input.subarray(pos, pos + n));
          this.copyLeft -= n;
          pos += n;
          if (this.copyLeft === 0) this.phase = 'control';
          break;
        }
        case 'packed': {
          const n = Math.min(end - pos, this.packedSize - this.packedHave);
          this.packed.set(input.subarray(pos, pos + n), this.packedHave);
          this.packedHave += n;
          pos += n;
          if (this.packedHave === this.packedSize) this.decodeChunk();
          break;
        }
      }
    }
    return pos;
  }

  private startChunk(control: number): void {
    this.control = control;
    if (control === 0x00) {
      this.phase = 'done';
      return;
    }
    if (control > 0x02 && control < 0x80) {
      throw new LzmaError('corrupt', `LZMA2 control byte 0x${control.toString(16)} is invalid`);
    }
    if (control >= 0xe0 || control === 0x01) {
      // liblzma: a dictionary reset means the next LZMA chunk must carry new properties.
      this.needProps = true;
      this.needDictReset = false;
      this.window.reset();
    } else if (this.needDictReset) {
      throw new LzmaError('corrupt', 'LZMA2 stream does not start with a dictionary reset');
    }
    if (control >= 0x80) {
      const mode = (control >>> 5) & 3;
      if (mode < 2 && this.needProps) throw new LzmaError('corrupt', 'LZMA2 chunk needs properties it does not set');
      this.headerNeed = mode >= 2 ? 5 : 4;
    } else {
      this.headerNeed = 2;
    }
    this.headerHave = 0;
    this.phase = 'header';
  }

  private parseHeader(): void {
    const h = this.header;
    if (this.control < 0x80) {
      this.copyLeft = ((h[0]! << 8) | h[1]!) + 1;
      this.phase = 'copy';
      return;
    }
    this.unpackedSize = ((this.control & 0x1f) << 16) + ((h[0]! << 8) | h[1]!) + 1;
    this.packedSize = ((h[2]! << 8) | h[3]!) + 1;
    const mode = (this.control >>> 5) & 3;
    if (mode >= 2) {
      const props = parsePropsByte(h[4]!);
      if (props.lc + props.lp > 4) throw new LzmaError('corrupt', 'LZMA2 properties have lc + lp above 4');
      this.lzma.setProps(props);
      this.needProps = false;
    } else if (mode === 1) {
      this.lzma.resetState();
    }
    if (this.packedSize < 5) throw new LzmaError('corrupt', 'LZMA2 chunk is too short for its range coder');
    this.packedHave = 0;
    this.phase = 'packed';
  }

  private decodeChunk(): void {
    const lzma = this.lzma;
    const before = this.window.total;
    let pos = lzma.initRange(this.packed, 0);
    try {
      pos = lzma.run(this.packed, pos, this.packedSize, true, this.unpackedSize);
    } catch (err) {
      // The whole chunk was here, so running out of its bytes means the chunk is corrupt, not truncated.
      if (err instanceof LzmaError && err.reason === 'truncated') throw new LzmaError('corrupt', err.message);
      throw err;
    }
    const produced = this.window.total - before;
    if (lzma.sawEndMarker || produced !== this.unpackedSize || lzma.remaining > 0) {
      throw new LzmaError('corrupt', 'LZMA2 chunk does not decode to its declared size');
    }
    if (pos !== this.packedSize || !lzma.rangeFinished) {
      throw new LzmaError('corrupt', 'LZMA2 chunk does not end where its header says');
    }
    this.phase = 'control';
  }
}

/** An LZMA2 stream as a 7z coder stores it (`dictSize` from the coder's property byte via `lzma2DictSize`). */
export function createLzma2Decoder(dictSize: number, opts: LzmaOptions = {}): StreamDecoder {
  const dec = new Lzma2Decoder(checkDictSize(dictSize, opts.sizeHint, opts));
  return {
    push(chunk, out) {
      dec.window.out = out;
      dec.feed(chunk, 0, chunk.length);
      dec.window.flush();
    },
    end(out) {
      dec.window.out = out;
      dec.window.flush();
      if (!dec.finished) throw new LzmaError('truncated', 'LZMA2 stream ends before its end byte');
    },
  };
}
