import { LzmaError } from './lzma-error.js';
import type { OutWindow } from './lzma-window.js';

/**
 * The LZMA symbol decoder: a range decoder plus the literal/match/rep models, written from the LZMA specification
 * (Igor Pavlov, lzma-specification.txt in the LZMA SDK) and checked against liblzma's output.
 *
 * Resumability: a symbol is decoded only when `REQUIRED_INPUT` bytes are buffered or the input is known to be
 * complete. One symbol decodes at most 51 binary decisions (match flags, a 10-bit length, a 6-bit slot, 26 direct
 * and 4 align bits) and the range decoder reads at most one byte per decision, so 64 bytes always suffice and no
 * symbol ever has to be rolled back. With complete input, reads past the end yield 0 and the overrun is detected
 * after the symbol.
 */
export const REQUIRED_INPUT = 64;

export interface LzmaProps {
  lc: number;
  lp: number;
  pb: number;
}

/** Decodes the properties byte `(pb * 5 + lp) * 9 + lc`. */
export function parsePropsByte(b: number): LzmaProps {
  if (b >= 9 * 5 * 5) throw new LzmaError('corrupt', `LZMA properties byte 0x${b.toString(16)} is invalid (must be below 225)`);
  const lc = b % 9;
  const rest = Math.floor(b / 9);
  return { lc, lp: rest % 5, pb: Math.floor(rest / 5) };
}

// Layout of the probability array (offsets of each model).
const NUM_STATES = 12;
const IS_MATCH = 0;
const IS_REP = IS_MATCH + (NUM_STATES << 4);
const IS_REP_G0 = IS_REP + NUM_STATES;
const IS_REP_G1 = IS_REP_G0 + NUM_STATES;
const IS_REP_G2 = IS_REP_G1 + NUM_STATES;
const IS_REP0_LONG = IS_REP_G2 + NUM_STATES;
const POS_SLOT = IS_REP0_LONG + (NUM_STATES << 4);
const SPEC_POS = POS_SLOT + (4 << 6);
const ALIGN = SPEC_POS + 115;
const LEN_CODER = ALIGN + 16;
const LEN_SIZE = 2 + 16 * 8 + 16 * 8 + 256;
const REP_LEN_CODER = LEN_CODER + LEN_SIZE;
const LITERAL = REP_LEN_CODER + LEN_SIZE;
const END_POS_MODEL_INDEX = 14;
const MIN_MATCH = 2;
const TOP = 1 << 24;
const PROB_INIT = 1024;
/** Distance value of the end-of-payload marker. */
const END_MARKER = 0xffffffff;

export class LzmaDecoder {
  private probs = new Uint16Array(0);
  private lc = 0;
  private lp = 0;
  private posMask = 0;
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  private range = 0;
  private code = 0;
  private input: Uint8Array = new Uint8Array(0);
  private inPos = 0;
  /** Bytes of the current match not yet copied into the window. */
  remaining = 0;
  /** Set once the end-of-payload marker has been decoded. */
  sawEndMarker = false;

  constructor(private readonly window: OutWindow) {}

  /** Sets lc/lp/pb and resets the state (LZMA2 chunks with new properties, or a stream's start). */
  setProps(props: LzmaProps): void {
    this.lc = props.lc;
    this.lp = props.lp;
    this.posMask = (1 << props.pb) - 1;
    const size = LITERAL + (0x300 << (props.lc + props.lp));
    if (this.probs.length !== size) this.probs = new Uint16Array(size);
    this.resetState();
  }

  resetState(): void {
    this.probs.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
    this.remaining = 0;
    this.sawEndMarker = false;
  }

  /** Starts the range decoder on the 5 bytes at `pos`; returns the position after them. */
  initRange(input: Uint8Array, pos: number): number {
    // The encoder's first output byte is always 0 (its initial cache byte); anything else is not LZMA data.
    if (input[pos] !== 0) throw new LzmaError('corrupt', 'LZMA range coder does not start with a zero byte');
    this.code = ((input[pos + 1]! << 24) | (input[pos + 2]! << 16) | (input[pos + 3]! << 8) | input[pos + 4]!) >>> 0;
    this.range = 0xffffffff;
    if (this.code === this.range) throw new LzmaError('corrupt', 'LZMA range coder starts with an impossible code');
    return pos + 5;
  }

  /** True when the range decoder ended cleanly (liblzma's rc_is_finished: code is 0 after the flush bytes). */
  get rangeFinished(): boolean {
    return this.code === 0;
  }

  /**
   * Decodes from `input[pos..limit)` until `maxOut` more bytes were produced, the end marker was read, or
   * (when `complete` is false) fewer than REQUIRED_INPUT bytes remain. Returns the new input position.
   * With `complete`, a symbol that needs bytes past `limit` throws.
   */
  run(input: Uint8Array, pos: number, limit: number, complete: boolean, maxOut: number): number {
    this.input = input;
    this.inPos = pos;
    const win = this.window;
    let left = maxOut;
    while (left > 0 && !this.sawEndMarker) {
      if (this.remaining > 0) {
        const n = win.copyMatch(this.rep0 + 1, Math.min(this.remaining, left));
        this.remaining -= n;
        left -= n;
        continue;
      }
      if (!complete && limit - this.inPos < REQUIRED_INPUT) break;
      const before = win.total;
      this.symbol();
      if (this.inPos > limit) throw new LzmaError(complete ? 'truncated' : 'corrupt', 'LZMA data ends inside a symbol');
      left -= win.total - before;
    }
    this.input = EMPTY;
    return this.inPos;
  }

  /**
   * Decodes one symbol that must be the end marker (a stream with a known size may still end with one).
   * Returns the new input position; throws when the data goes on instead.
   */
  expectEndMarker(input: Uint8Array, pos: number, limit: number): number {
    this.input = input;
    this.inPos = pos;
    const before = this.window.total;
    const beforeRemaining = this.remaining;
    this.symbol();
    this.input = EMPTY;
    if (this.inPos > limit) throw new LzmaError('truncated', 'LZMA data ends inside the end marker');
    if (!this.sawEndMarker || this.window.total !== before || this.remaining !== beforeRemaining) {
      throw new LzmaError('corrupt', 'LZMA data continues past its declared uncompressed size');
    }
    return this.inPos;
  }

  private bit(i: number): number {
    const p = this.probs[i]!;
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      this.probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      this.probs[i] = p - (p >>> 5);
      b = 1;
    }
    if (this.range < TOP) {
      // Past the end of the buffer the load is `undefined`, which `|` turns into 0; `run` detects the overrun.
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.input[this.inPos++]!) >>> 0;
    }
    return b;
  }

  private directBits(count: number): number {
    let res = 0;
    for (let i = 0; i < count; i++) {
      this.range = this.range >>> 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      res = res * 2 + b;
      if (this.range < TOP) {
        this.range = (this.range << 8) >>> 0;
        this.code = ((this.code << 8) | this.input[this.inPos++]!) >>> 0;
      }
    }
    return res;
  }

  private bitTree(base: number, numBits: number): number {
    let m = 1;
    for (let i = 0; i < numBits; i++) m = (m << 1) | this.bit(base + m);
    return m - (1 << numBits);
  }

  private reverseBitTree(base: number, numBits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < numBits; i++) {
      const b = this.bit(base + m);
      m = (m << 1) | b;
      sym |= b << i;
    }
    return sym;
  }

  private length(coder: number, posState: number): number {
    if (this.bit(coder) === 0) return MIN_MATCH + this.bitTree(coder + 2 + (posState << 3), 3);
    if (this.bit(coder + 1) === 0) return MIN_MATCH + 8 + this.bitTree(coder + 2 + 128 + (posState << 3), 3);
    return MIN_MATCH + 16 + this.bitTree(coder + 2 + 256, 8);
  }

  private distance(len: number): number {
    const lenState = Math.min(len - MIN_MATCH, 3);
    const slot = this.bitTree(POS_SLOT + (lenState << 6), 6);
    if (slot < 4) return slot;
    const numDirect = (slot >>> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** numDirect;
    if (slot < END_POS_MODEL_INDEX) return dist + this.reverseBitTree(SPEC_POS + dist - slot, numDirect);
    dist += this.directBits(numDirect - 4) * 16;
    return dist + this.reverseBitTree(ALIGN, 4);
  }

  private symbol(): void {
    const win = this.window;
    const posState = win.total & this.posMask;
    const state = this.state;
    if (this.bit(IS_MATCH + (state << 4) + posState) === 0) {
      this.literal();
      return;
    }
    let len: number;
    if (this.bit(IS_REP + state) === 0) {
      len = this.length(LEN_CODER, posState);
      this.state = state < 7 ? 7 : 10;
      const dist = this.distance(len);
      if (dist === END_MARKER) {
        this.sawEndMarker = true;
        return;
      }
      this.rep3 = this.rep2;
      this.rep2 = this.rep1;
      this.rep1 = this.rep0;
      this.rep0 = dist;
    } else {
      if (this.bit(IS_REP_G0 + state) === 0) {
        if (this.bit(IS_REP0_LONG + (state << 4) + posState) === 0) {
          this.checkDistance();
          this.state = state < 7 ? 9 : 11;
          win.putByte(win.getByte(this.rep0 + 1));
          return;
        }
      } else {
        let dist: number;
        if (this.bit(IS_REP_G1 + state) === 0) {
          dist = this.rep1;
        } else {
          if (this.bit(IS_REP_G2 + state) === 0) {
            dist = this.rep2;
          } else {
            dist = this.rep3;
            this.rep3 = this.rep2;
          }
          this.rep2 = this.rep1;
        }
        this.rep1 = this.rep0;
        this.rep0 = dist;
      }
      len = this.length(REP_LEN_CODER, posState);
      this.state = state < 7 ? 8 : 11;
    }
    this.checkDistance();
    this.remaining = len;
  }

  private checkDistance(): void {
    if (this.rep0 >= this.window.full) {
      throw new LzmaError('corrupt', `LZMA match distance ${this.rep0 + 1} reaches before the start of the data`);
    }
  }

  /**
   * The hot path (most symbols of incompressible data are literals): the range coder state is kept in locals for
   * the 8 to 16 decisions of one byte, which V8 compiles far better than repeated field loads and stores.
   */
  private literal(): void {
    const win = this.window;
    const prev = win.getByte(1);
    const ctx = ((win.total & ((1 << this.lp) - 1)) << this.lc) + (prev >>> (8 - this.lc));
    const base = LITERAL + 0x300 * ctx;
    const probs = this.probs;
    const input = this.input;
    let range = this.range;
    let code = this.code;
    let inPos = this.inPos;
    let sym = 1;
    if (this.state >= 7) {
      let matchByte = win.getByte(this.rep0 + 1);
      do {
        const matchBit = (matchByte >>> 7) & 1;
        matchByte <<= 1;
        const i = base + ((1 + matchBit) << 8) + sym;
        const p = probs[i]!;
        const bound = (range >>> 11) * p;
        let b: number;
        if (code < bound) {
          range = bound;
          probs[i] = p + ((2048 - p) >>> 5);
          b = 0;
        } else {
          range -= bound;
          code -= bound;
          probs[i] = p - (p >>> 5);
          b = 1;
        }
        if (range < TOP) {
          range = (range << 8) >>> 0;
          code = ((code << 8) | input[inPos++]!) >>> 0;
        }
        sym = (sym << 1) | b;
        if (matchBit !== b) break;
      } while (sym < 0x100);
    }
    while (sym < 0x100) {
      const i = base + sym;
      const p = probs[i]!;
      const bound = (range >>> 11) * p;
      if (code < bound) {
        range = bound;
        probs[i] = p + ((2048 - p) >>> 5);
        sym <<= 1;
      } else {
        range -= bound;
        code -= bound;
        probs[i] = p - (p >>> 5);
        sym = (sym << 1) | 1;
      }
      if (range < TOP) {
        range = (range << 8) >>> 0;
        code = ((code << 8) | input[inPos++]!) >>> 0;
      }
    }
    this.range = range;
    this.code = code;
    this.inPos = inPos;
    win.putByte(sym & 0xff);
    const s = this.state;
    this.state = s < 4 ? 0 : s < 10 ? s - 3 : s - 6;
  }
}

const EMPTY = new Uint8Array(0);
