/**
 * Streaming LZMA-family decoders: `.lzma` ("LZMA alone"), raw LZMA and LZMA2 (7z coders), and `.xz`.
 *
 * Why hand-written: @napi-rs/lzma buffers all output of a zero-filled stream until finish() (measured: a 100 MB xz
 * bomb gives 0 bytes from update() and everything at the end), so it cannot bound memory on hostile input; no
 * other maintained package decodes raw LZMA/LZMA2 streams incrementally. These decoders are push-based and
 * synchronous; memory is the dictionary (capped by `maxDictBytes`, grown only as output arrives) plus a few
 * small buffers, whatever the output size.
 */
import { LzmaDecoder, REQUIRED_INPUT, parsePropsByte, type LzmaProps } from './lzma-decoder.js';
import { LzmaError } from './lzma-error.js';
import { OutWindow, checkDictSize } from './lzma-window.js';

export { LzmaError, type LzmaErrorReason } from './lzma-error.js';
export { createLzma2Decoder } from './lzma2.js';
export { DEFAULT_MAX_DICT_BYTES, checkDictSize } from './lzma-window.js';
export { createXzDecoder } from './xz.js';

/** A synchronous streaming decoder: bounded output, delivered in chunks as input arrives. */
export interface StreamDecoder {
  /** Decodes as much of `chunk` as possible, calling `out` with decoded bytes (each call at most 64 KiB). */
  push(chunk: Uint8Array, out: (bytes: Uint8Array) => void): void;
  /** Signals end of input; throws if the stream is truncated or corrupt. */
  end(out: (bytes: Uint8Array) => void): void;
}

export interface LzmaOptions {
  /** Largest dictionary a stream may ask for (default 64 MiB, what `xz -9` and 7-Zip's ultra preset use). */
  maxDictBytes?: number;
  /**
   * The uncompressed size when a container records it (7z folders, xz block headers). A window larger than the
   * data is never needed, so the dictionary limit applies to the smaller of the two.
   */
  sizeHint?: number;
}

/**
 * One raw LZMA stream: 5 range-coder bytes, then symbols until `size` bytes are out (an end marker may follow)
 * or, when the size is unknown, until the end marker.
 */
class RawLzmaStream implements StreamDecoder {
  private readonly window: OutWindow;
  private readonly lzma: LzmaDecoder;
  /** Input not yet consumed: always fewer than REQUIRED_INPUT bytes between pushes. */
  private pending: Uint8Array = new Uint8Array(0);
  private started = false;
  private done = false;

  constructor(props: LzmaProps, dictSize: number, private readonly size: number | undefined) {
    this.window = new OutWindow(dictSize);
    this.lzma = new LzmaDecoder(this.window);
    this.lzma.setProps(props);
  }

  push(chunk: Uint8Array, out: (bytes: Uint8Array) => void): void {
    if (this.done || chunk.length === 0) return;
    this.run(concat(this.pending, chunk), false, out);
  }

  end(out: (bytes: Uint8Array) => void): void {
    if (!this.done) this.run(this.pending, true, out);
    if (!this.done) throw new LzmaError('truncated', 'LZMA stream ends before its end marker or declared size');
  }

  private run(input: Uint8Array, complete: boolean, out: (bytes: Uint8Array) => void): void {
    this.window.out = out;
    let pos = 0;
    if (!this.started) {
      if (input.length < 5) {
        if (complete) throw new LzmaError('truncated', 'LZMA stream ends inside its first 5 bytes');
        this.pending = input.slice();
        return;
      }
      pos = this.lzma.initRange(input, 0);
      this.started = true;
    }
    const left = this.size === undefined ? Infinity : this.size - this.window.total;
    pos = this.lzma.run(input, pos, input.length, complete, left);
    if (this.lzma.sawEndMarker) {
      if (this.size !== undefined && this.window.total !== this.size) {
        throw new LzmaError('corrupt', `LZMA end marker after ${this.window.total} of ${this.size} declared bytes`);
      }
      this.finish();
    } else if (this.size !== undefined && this.window.total === this.size) {
      if (this.lzma.remaining > 0) throw new LzmaError('corrupt', 'LZMA match runs past the declared size');
      if (this.lzma.rangeFinished) {
        this.finish();
      } else if (complete || input.length - pos >= REQUIRED_INPUT) {
        // The encoder wrote an end marker although it also recorded the size (liblzma's raw LZMA1 encoder does).
        this.lzma.expectEndMarker(input, pos, input.length);
        this.finish();
      }
    }
    this.pending = this.done ? new Uint8Array(0) : input.slice(pos);
    this.window.flush();
  }

  private finish(): void {
    if (!this.lzma.rangeFinished) throw new LzmaError('corrupt', 'LZMA range coder does not end cleanly');
    this.done = true;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

/**
 * A raw LZMA stream as 7z stores it: `props` are the coder's 5 property bytes (lc/lp/pb byte, then the
 * dictionary size as u32 LE); `unpackSize` is the folder's output size, or undefined when only an end marker
 * ends the stream.
 */
export function createRawLzmaDecoder(props: Uint8Array, unpackSize: number | undefined, opts: LzmaOptions = {}): StreamDecoder {
  if (props.length < 5) throw new LzmaError('corrupt', `LZMA coder properties are ${props.length} bytes, expected 5`);
  const dictSize = (props[1]! | (props[2]! << 8) | (props[3]! << 16) | (props[4]! << 24)) >>> 0;
  return new RawLzmaStream(parsePropsByte(props[0]!), checkDictSize(dictSize, unpackSize, opts), unpackSize);
}

/**
 * The `.lzma` format (LZMA SDK "LZMA alone", also written by `xz --format=lzma` and Python's FORMAT_ALONE):
 * 5 property bytes, the uncompressed size as u64 LE (all ones: unknown, ended by the end marker), then raw LZMA.
 */
export function createLzmaAloneDecoder(opts: LzmaOptions = {}): StreamDecoder {
  let header: Uint8Array = new Uint8Array(0);
  let inner: StreamDecoder | undefined;
  const open = (h: Uint8Array): StreamDecoder => {
    const view = new DataView(h.buffer, h.byteOffset, 13);
    const lo = view.getUint32(5, true);
    const hi = view.getUint32(9, true);
    let size: number | undefined;
    if (lo === 0xffffffff && hi === 0xffffffff) size = undefined;
    else if (hi >= 1 << 21) throw new LzmaError('unsupported', 'the .lzma header declares a size above 2^53 bytes');
    else size = hi * 2 ** 32 + lo;
    return createRawLzmaDecoder(h.subarray(0, 5), size, opts);
  };
  return {
    push(chunk, out) {
      if (inner === undefined) {
        header = concat(header, chunk);
        if (header.length < 13) {
          header = header.slice();
          return;
        }
        inner = open(header);
        chunk = header.subarray(13);
      }
      inner.push(chunk, out);
    },
    end(out) {
      if (inner === undefined) throw new LzmaError('truncated', 'the .lzma header is shorter than 13 bytes');
      inner.end(out);
    },
  };
}
