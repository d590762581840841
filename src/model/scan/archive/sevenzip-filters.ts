/**
 * The two 7z filters that sit in front of a compressor in practice: x86 BCJ (py7zr applies it by default, 7-Zip to
 * executables) and Delta. Both are byte transforms with a little state, run on the compressor's output.
 */
export interface ChunkFilter {
  /** Transforms what it can of `chunk`; may hold back a few bytes until more arrive. */
  push(chunk: Uint8Array): Uint8Array;
  /** The bytes held back, at the end of the stream. */
  end(): Uint8Array;
}

const isMsByte = (b: number): boolean => ((b + 1) & 0xfe) === 0;
const MASK_TO_ALLOWED = [true, true, true, false, true, false, false, false];
const MASK_TO_BIT_NUMBER = [0, 1, 2, 2, 3, 3, 3, 3];

/**
 * x86 BCJ decoder: E8/E9 (CALL/JMP rel32) operands were made absolute by the encoder; this makes them relative
 * again. Transcribed from x86_Convert in the LZMA SDK 9.20's Bra86.c (public domain), decoding direction, which
 * liblzma's simple_x86.c and py7zr match. Each call converts up to 4 bytes short of the end of what it has; the
 * rest waits for more input, with the mask state carried over, exactly as 7-Zip's filter coder drives it.
 */
export function createBcjX86Filter(startOffset = 0): ChunkFilter {
  let held: Uint8Array = new Uint8Array(0);
  let ip = startOffset;
  let state = 0;

  const convert = (data: Uint8Array): number => {
    const size = data.length;
    if (size < 5) return 0;
    const limit = size - 4;
    const base = ip + 5;
    let pos = 0;
    let prevPos = -1;
    let mask = state & 7;
    for (;;) {
      let p = pos;
      while (p < limit && (data[p]! & 0xfe) !== 0xe8) p++;
      pos = p;
      if (p >= limit) break;
      const dist = pos - prevPos;
      if (dist > 3) {
        mask = 0;
      } else {
        mask = (mask << (dist - 1)) & 7;
        if (mask !== 0 && (!MASK_TO_ALLOWED[mask] || isMsByte(data[p + 4 - MASK_TO_BIT_NUMBER[mask]!]!))) {
          prevPos = pos;
          mask = ((mask << 1) & 7) | 1;
          pos++;
          continue;
        }
      }
      prevPos = pos;
      if (!isMsByte(data[p + 4]!)) {
        mask = ((mask << 1) & 7) | 1;
        pos++;
        continue;
      }
      let src = (data[p + 4]! << 24) | (data[p + 3]! << 16) | (data[p + 2]! << 8) | data[p + 1]!;
      let dest: number;
      for (;;) {
        dest = (src - (base + pos)) | 0;
        if (mask === 0) break;
        const index = MASK_TO_BIT_NUMBER[mask]! * 8;
        if (!isMsByte((dest >>> (24 - index)) & 0xff)) break;
        src = dest ^ ((1 << (32 - index)) - 1);
      }
      data[p + 4] = ~(((dest >>> 24) & 1) - 1) & 0xff;
      data[p + 3] = (dest >>> 16) & 0xff;
      data[p + 2] = (dest >>> 8) & 0xff;
      data[p + 1] = dest & 0xff;
      pos += 5;
    }
    const dist = pos - prevPos;
    state = dist > 3 ? 0 : (mask << (dist - 1)) & 7;
    return pos;
  };

  return {
    push(chunk) {
      const data = new Uint8Array(held.length + chunk.length);
      data.set(held);
      data.set(chunk, held.length);
      const done = convert(data);
      ip += done;
      held = data.slice(done);
      return data.subarray(0, done);
    },
    end() {
      const rest = held;
      held = new Uint8Array(0);
      return rest;
    },
  };
}

/** Delta decoder (7z method 03; property byte = distance - 1): each byte adds the byte `distance` back. */
export function createDeltaFilter(props: Uint8Array): ChunkFilter {
  const distance = (props[0] ?? 0) + 1;
  const history = new Uint8Array(256);
  let pos = 0;
  return {
    push(chunk) {
      const out = new Uint8Array(chunk.length);
      for (let i = 0; i < chunk.length; i++) {
        const v = (chunk[i]! + history[(pos - distance) & 0xff]!) & 0xff;
        history[pos & 0xff] = v;
        out[i] = v;
        pos++;
      }
      return out;
    },
    end: () => new Uint8Array(0),
  };
}
