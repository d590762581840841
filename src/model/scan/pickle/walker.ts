import type { ScanLimits } from '../limits.js';
import { arrayBytesAfterBuild, isArrayWrapper } from './joblib-array.js';
import { Memo } from './memo.js';
import { OPCODES, HIGHEST_PROTOCOL, type OpcodeInfo } from './opcodes.js';
import type { GlobalPolicy } from './policy.js';
import { decodeLatin1, decodeRawUnicodeEscape, decodeStringRepr, decodeUtf8, parseIntLine, readLong } from './text.js';
import { BIG_TUPLE, DICT, LIST, LONGSTR, OPAQUE, isRef, tuple, type Ref, type Value } from './values.js';

/** Strings and byte strings up to this size are kept (global names, nested pickles); longer ones are skipped. */
export const STR_CAP = 64 * 1024;
/** A text-protocol line longer than this is malformed (no name or number is that long). */
const LINE_CAP = 64 * 1024;
/** torch.save's legacy format starts with a pickle of this number (torch/serialization.py MAGIC_NUMBER). */
const TORCH_MAGIC = 0x1950a86a20f9469cfc6cn;
/** The legacy format is magic, protocol, sys_info, the object, storage keys — then raw storage bytes. */
const TORCH_LEGACY_PICKLES = 5;

export type Report = (rule: string, message: string, loc: { offset?: number; opcode?: string }) => void;

export interface WalkerOptions {
  policy: GlobalPolicy;
  limits: ScanLimits;
  report: Report;
  /** Offset of this stream's first byte within the scanned member (for nested pickles). */
  baseOffset?: number;
  /** How many pickles deep this stream is (0 for a file's own stream). */
  nesting?: number;
  /** Prefix for messages, e.g. "in the pickle nested at offset 120". */
  label?: string;
  /** Stop after the first pickle (readers that interleave pickles with raw data, like torch's legacy tar). */
  single?: boolean;
  /**
   * A speculative stream may turn out not to be a pickle at all (bytes that merely start like one): its structural
   * errors are not reported, and unknown globals only count when it parses cleanly to STOP.
   */
  speculative?: boolean;
}

export interface WalkSummary {
  /** Complete pickles (STOP reached). */
  pickles: number;
  opcodes: number;
  /** First pickle is torch's legacy magic number. */
  torchLegacy: boolean;
  /** Uses joblib's NumpyArrayWrapper (arrays written inline after the wrapper). */
  joblib: boolean;
  /** The stream parsed to STOP without a structural error. */
  clean: boolean;
  /** What the last complete pickle evaluated to (symbolically). */
  result?: Value;
  /** Stream offset just after the last STOP. */
  end: number;
}

interface Frame {
  stack: Value[];
  /** Stack heights at each MARK (the unpickler's metastack, as indices into one stack). */
  marks: number[];
  memo: Memo;
  opcodes: number;
  /** Set after the first structural error: later stack effects are best-effort. */
  broken: boolean;
  /** Set after a limit was hit: unresolvable names are reported as incomplete, not as attacks. */
  degraded: boolean;
  memoFull: boolean;
  /** Joblib object arrays are a whole pickle written inline; its result replaces the wrapper. */
  inline: boolean;
  /** Unknown-global findings held until a speculative stream proves to be a pickle. */
  pending: [string, string, { offset?: number; opcode?: string }][];
  speculative: boolean;
}

type Mode = 'op' | 'skip' | 'divert' | 'between' | 'pad' | 'done';

/**
 * Walks a pickle stream opcode by opcode with a bounded symbolic stack and memo — it never unpickles. Bytes are
 * pushed in chunks (`feed`), so a file of any size is walked in constant memory, and byte payloads are skipped
 * (or seeked past by the caller, see `skippable`) rather than read.
 */
export class PickleWalker {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** Stream offset of buf[0]. */
  private bufStart = 0;
  private mode: Mode = 'between';
  private remaining = 0;
  private afterSkip: Mode = 'op';
  private nested: PickleWalker | undefined;
  private frames: Frame[] = [];
  private readonly seen = new Set<string>();
  private readonly summary: WalkSummary = { pickles: 0, opcodes: 0, torchLegacy: false, joblib: false, clean: true, end: 0 };
  /** The furthest any FRAME opcode said the stream reaches. */
  private frameEnd = 0;
  private readonly base: number;
  private readonly nesting: number;
  private padThenSkip = 0;
  private started = false;

  constructor(private readonly opts: WalkerOptions) {
    this.base = opts.baseOffset ?? 0;
    this.nesting = opts.nesting ?? 0;
  }

  /** Bytes the caller may skip without feeding (a large payload): call `skipped(n)` after seeking past them. */
  get skippable(): number {
    return this.mode === 'skip' && this.pos >= this.buf.length ? this.remaining : 0;
  }

  skipped(n: number): void {
    if (this.mode !== 'skip' || n > this.remaining) throw new Error('internal: skipped more than the walker asked for');
    this.remaining -= n;
    this.bufStart += n;
    if (this.remaining === 0) this.mode = this.afterSkip;
  }

  /** True once the walker needs no more bytes (legacy torch data section, an invalid opcode, trailing data). */
  get done(): boolean {
    return this.mode === 'done';
  }

  feed(chunk: Uint8Array): void {
    if (this.mode === 'done') return;
    if (this.pos < this.buf.length) {
      const rest = this.buf.subarray(this.pos);
      const joined = new Uint8Array(rest.length + chunk.length);
      joined.set(rest, 0);
      joined.set(chunk, rest.length);
      this.bufStart += this.pos;
      this.buf = joined;
    } else {
      this.bufStart += this.buf.length;
      this.buf = chunk;
    }
    this.pos = 0;
    this.run(false);
  }

  /** Ends the stream: reports truncation and returns what was seen. */
  end(): WalkSummary {
    this.run(true);
    const streamEnd = this.base + this.bufStart + this.buf.length;
    if (this.frameEnd > streamEnd && this.mode !== 'done') {
      this.malformed(`a FRAME declares ${this.frameEnd - streamEnd} bytes more than the stream holds`, streamEnd, 'FRAME');
    }
    const frame = this.frames[this.frames.length - 1];
    if (this.mode === 'skip' || this.mode === 'divert' || this.mode === 'pad') {
      if (this.nested !== undefined) this.finishNested();
      this.truncated(`a payload needs ${this.remaining} more bytes than the stream has`);
    } else if (this.mode === 'op' && frame !== undefined) {
      this.truncated(
        this.pos < this.buf.length ? 'the last opcode is cut off' : 'the stream ends before STOP',
      );
    } else if (!this.started) {
      this.malformed('the stream is empty', this.base, undefined);
    }
    return this.summary;
  }

  private truncated(why: string): void {
    this.summary.clean = false;
    const frame = this.frames[this.frames.length - 1];
    if (frame?.speculative ?? this.opts.speculative) return this.trailing();
    this.say('pickle-truncated', `pickle truncated: ${why}`, { offset: this.abs() });
  }

  private abs(): number {
    return this.base + this.bufStart + this.pos;
  }

  private run(final: boolean): void {
    while (this.mode !== 'done') {
      if (this.mode === 'op') {
        if (this.pos >= this.buf.length || !this.step(final)) return;
        continue;
      }
      if (this.mode === 'between') {
        if (this.pos >= this.buf.length) return;
        this.startPickle();
        continue;
      }
      if (this.mode === 'pad') {
        if (this.pos >= this.buf.length) return;
        // joblib: one byte gives the alignment padding length, then padding, then the array bytes.
        this.remaining = this.buf[this.pos++]! + this.padThenSkip;
        this.mode = this.remaining > 0 ? 'skip' : 'op';
        this.afterSkip = 'op';
        continue;
      }
      // skip or divert
      const avail = this.buf.length - this.pos;
      if (avail === 0) return;
      const n = Math.min(avail, this.remaining);
      if (this.mode === 'divert') this.nested!.feed(this.buf.subarray(this.pos, this.pos + n));
      this.pos += n;
      this.remaining -= n;
      if (this.remaining === 0) {
        if (this.mode === 'divert') this.finishNested();
        this.mode = this.afterSkip;
      }
    }
  }

  private startPickle(): void {
    const b = this.buf[this.pos]!;
    const speculative = this.summary.pickles > 0 ? b !== 0x80 : !!this.opts.speculative;
    if (this.summary.pickles > 0 && OPCODES[b] === undefined) return this.trailing();
    this.started = true;
    this.frames = [newFrame(speculative, false)];
    this.mode = 'op';
  }

  private trailing(): void {
    if (this.nesting === 0 && this.summary.pickles > 0) {
      this.say('pickle-trailing-data', `${this.summary.pickles} pickle(s) followed by bytes that are not a pickle`, {
        offset: this.abs(),
      });
    }
    this.mode = 'done';
  }

  // ---- reporting ----

  private say(rule: string, message: string, loc: { offset?: number; opcode?: string }): void {
    this.opts.report(rule, this.opts.label === undefined ? message : `${this.opts.label}: ${message}`, loc);
  }

  private malformed(why: string, offset: number, opcode: string | undefined): void {
    this.summary.clean = false;
    const frame = this.frames[this.frames.length - 1];
    if (frame !== undefined) {
      if (frame.broken) return;
      frame.broken = true;
      if (frame.speculative) {
        frame.pending.length = 0;
        return;
      }
    } else if (this.opts.speculative) return;
    const loc = opcode === undefined ? { offset } : { offset, opcode };
    this.say('pickle-malformed', `malformed pickle: ${why}`, loc);
  }

  private onGlobal(module: string, name: string, offset: number, opcode: string): void {
    const c = this.opts.policy.classify(module, name);
    if (c.kind === 'safe') return;
    const key = `${c.kind}\n${module}\n${name}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const shown = `${module}.${name}`;
    if (c.kind === 'dangerous') {
      this.say('pickle-dangerous-global', `imports ${shown}: ${c.why}`, { offset, opcode });
      return;
    }
    const frame = this.frames[this.frames.length - 1]!;
    const msg = `imports ${shown}, which is not on the allowlist of known-safe ML globals`;
    if (frame.speculative) frame.pending.push(['pickle-unknown-global', msg, { offset, opcode }]);
    else this.say('pickle-unknown-global', msg, { offset, opcode });
  }

  // ---- the opcode loop ----

  /** Decodes and runs one opcode; false when the buffer does not yet hold all of it. */
  private step(final: boolean): boolean {
    const buf = this.buf;
    const at = this.pos;
    const code = buf[at]!;
    const info = OPCODES[code];
    const offset = this.abs();
    const frame = this.frames[this.frames.length - 1]!;
    if (info === undefined) {
      if (frame.speculative && frame.opcodes === 0) return this.trailing(), true;
      this.malformed(`byte 0x${code.toString(16).padStart(2, '0')} is not an opcode`, offset, undefined);
      this.mode = 'done';
      return true;
    }
    const avail = buf.length - at - 1;
    let argLen = FIXED_ARG[code]!;
    let payload = -1;
    if (argLen < 0) {
      switch (info.arg) {
        case 'len1':
          if (avail < 1) return final ? this.cut() : false;
          argLen = 1;
          payload = buf[at + 1]!;
          break;
        case 'len4':
        case 'slen4': {
          if (avail < 4) return final ? this.cut() : false;
          argLen = 4;
          const v = readU32(buf, at + 1);
          payload = info.arg === 'slen4' && v >= 0x80000000 ? -2 : v;
          break;
        }
        case 'len8': {
          if (avail < 8) return final ? this.cut() : false;
          argLen = 8;
          const hi = readU32(buf, at + 5);
          payload = hi >= 0x200000 ? -2 : hi * 0x100000000 + readU32(buf, at + 1);
          break;
        }
        default:
          return this.lineOp(info, final);
      }
    }
    if (avail < argLen) return final ? this.cut() : false;
    if (payload === -2) {
      this.malformed(`${info.name} declares a negative or impossible length`, offset, info.name);
      this.mode = 'done';
      return true;
    }
    if (payload >= 0) return this.payloadOp(info, code, argLen, payload, offset, final);
    this.pos = at + 1 + argLen;
    frame.opcodes++;
    this.summary.opcodes++;
    this.exec(code, info, frame, at + 1, offset);
    return true;
  }

  /** The opcode is incomplete: wait for more bytes (or, at the end, leave it for `end` to report). */
  private cut(): boolean {
    return false;
  }

  private lineOp(info: OpcodeInfo, final: boolean): boolean {
    const buf = this.buf;
    const at = this.pos;
    const offset = this.abs();
    const nl1 = indexOfNewline(buf, at + 1);
    if (nl1 < 0) {
      if (buf.length - at > LINE_CAP) return this.badLine(info, offset);
      return final ? this.cut() : false;
    }
    const frame = this.frames[this.frames.length - 1]!;
    if (info.arg === 'line2') {
      const nl2 = indexOfNewline(buf, nl1 + 1);
      if (nl2 < 0) {
        if (buf.length - at > 2 * LINE_CAP) return this.badLine(info, offset);
        return final ? this.cut() : false;
      }
      const module = decodeUtf8(buf.subarray(at + 1, nl1));
      const name = decodeUtf8(buf.subarray(nl1 + 1, nl2));
      this.pos = nl2 + 1;
      frame.opcodes++;
      this.summary.opcodes++;
      this.onGlobal(module, name, offset, info.name);
      const g: Ref = { k: 'global', module, name };
      if (info.name === 'GLOBAL') frame.stack.push(g);
      else {
        const items = this.popMark(frame, offset, info.name);
        frame.stack.push({ k: 'obj', cls: g, args: tuple(items) });
      }
      return true;
    }
    const line = buf.subarray(at + 1, nl1);
    this.pos = nl1 + 1;
    frame.opcodes++;
    this.summary.opcodes++;
    const s = frame.stack;
    switch (info.name) {
      case 'INT':
      case 'LONG': {
        const v = parseIntLine(line);
        if (v === undefined) this.malformed(`${info.name} argument is not an integer`, offset, info.name);
        s.push(v === undefined ? OPAQUE : info.name === 'INT' && (v === 0 || v === 1) && line.length === 2 ? v === 1 : v);
        break;
      }
      case 'FLOAT':
        s.push(Number(decodeLatin1(line)));
        break;
      case 'STRING': {
        const v = decodeStringRepr(line);
        if (v === undefined) this.malformed('STRING argument is not a quoted string', offset, info.name);
        this.pushString(frame, v ?? '', offset);
        break;
      }
      case 'UNICODE':
        this.pushString(frame, decodeRawUnicodeEscape(line), offset);
        break;
      case 'PERSID':
        s.push(OPAQUE);
        break;
      case 'GET':
      case 'PUT': {
        const idx = parseIntLine(line);
        if (typeof idx !== 'number' || idx < 0) {
          this.malformed(`${info.name} argument is not a memo index`, offset, info.name);
          if (info.name === 'GET') s.push(OPAQUE);
          break;
        }
        if (info.name === 'GET') this.get(frame, idx, offset, info.name);
        else this.put(frame, idx, offset, info.name);
        break;
      }
    }
    return true;
  }

  private badLine(info: OpcodeInfo, offset: number): boolean {
    this.malformed(`${info.name} argument has no newline within ${LINE_CAP} bytes`, offset, info.name);
    this.mode = 'done';
    return true;
  }

  /** String and bytes opcodes: small payloads are kept (names, nested pickles); large ones skipped or diverted. */
  private payloadOp(info: OpcodeInfo, code: number, argLen: number, len: number, offset: number, final: boolean): boolean {
    const buf = this.buf;
    const start = this.pos + 1 + argLen;
    const have = buf.length - start;
    const frame = this.frames[this.frames.length - 1]!;
    const isText = info.name === 'BINUNICODE' || info.name === 'SHORT_BINUNICODE' || info.name === 'BINUNICODE8';
    const isLong = info.name === 'LONG1' || info.name === 'LONG4';
    if (len <= STR_CAP) {
      if (have < len) return final ? this.cut() : false;
      const bytes = buf.subarray(start, start + len);
      this.pos = start + len;
      frame.opcodes++;
      this.summary.opcodes++;
      if (isLong) frame.stack.push(readLong(bytes));
      else if (isText) this.pushString(frame, decodeUtf8(bytes), offset);
      else if (info.name === 'BINSTRING' || info.name === 'SHORT_BINSTRING') this.pushString(frame, decodeLatin1(bytes), offset);
      else {
        this.maybeNested(bytes, this.base + this.bufStart + start);
        frame.stack.push({ k: 'bytes', length: len });
      }
      return true;
    }
    // Large payload: decide from its first two bytes whether it is itself a pickle to walk, else skip it.
    if (have < 2 && !final) return false;
    this.pos = start;
    frame.opcodes++;
    this.summary.opcodes++;
    frame.stack.push(isText ? LONGSTR : isLong ? OPAQUE : { k: 'bytes', length: len });
    this.remaining = len;
    this.afterSkip = 'op';
    const head = buf.subarray(start, start + 2);
    if (!isText && !isLong && code !== 0 && this.startsLikePickle(head)) {
      this.nested = this.nestedWalker(this.base + this.bufStart + start);
      this.mode = 'divert';
    } else {
      this.mode = 'skip';
    }
    return true;
  }

  private startsLikePickle(b: Uint8Array): boolean {
    if (b.length < 2) return false;
    if (b[0] === 0x80 && b[1]! >= 2 && b[1]! <= HIGHEST_PROTOCOL) return true;
    // Protocol 0/1: `c` module newline name newline.
    return b[0] === 0x63 && ((b[1]! >= 0x41 && b[1]! <= 0x5a) || (b[1]! >= 0x61 && b[1]! <= 0x7a) || b[1] === 0x5f);
  }

  private nestedWalker(at: number): PickleWalker | undefined {
    if (this.nesting + 1 > this.opts.limits.maxPickleNesting) {
      this.say('pickle-resource-limit', `pickle nested more than ${this.opts.limits.maxPickleNesting} deep at offset ${at}; not walked`, { offset: at });
      return undefined;
    }
    return new PickleWalker({
      ...this.opts,
      baseOffset: at,
      nesting: this.nesting + 1,
      label: `in the pickle nested at offset ${at}`,
      speculative: true,
    });
  }

  private maybeNested(bytes: Uint8Array, at: number): void {
    if (!this.startsLikePickle(bytes)) return;
    const w = this.nestedWalker(at);
    if (w === undefined) return;
    w.feed(bytes);
    this.nestedDone(w.end(), at);
  }

  private finishNested(): void {
    const w = this.nested;
    this.nested = undefined;
    if (w !== undefined) this.nestedDone(w.end(), w.base);
  }

  private nestedDone(s: WalkSummary, at: number): void {
    if (s.pickles > 0 && s.clean && this.nesting === 0) {
      this.say('pickle-nested', `a byte string at offset ${at} is itself a pickle (${s.opcodes} opcodes); it was walked too`, { offset: at });
    }
  }

  private pushString(frame: Frame, s: string, offset: number): void {
    frame.stack.push(s);
    // `_codecs.encode(str, 'latin1')` is how protocol 2 pickles bytes: a str payload may be a pickle too.
    if (s.length >= 2 && (s.charCodeAt(0) === 0x80 || s.charCodeAt(0) === 0x63)) {
      let latin = true;
      for (let i = 0; i < s.length && latin; i++) latin = s.charCodeAt(i) < 256;
      if (latin) this.maybeNested(Uint8Array.from(s, (c) => c.charCodeAt(0)), offset);
    }
  }

  // ---- stack machine ----

  private pop(frame: Frame, offset: number, opcode: string): Value {
    const marks = frame.marks;
    if (frame.stack.length > (marks.length === 0 ? 0 : marks[marks.length - 1]!)) return frame.stack.pop()!;
    this.malformed(`${opcode} pops from an empty stack`, offset, opcode);
    return OPAQUE;
  }

  /** Items above the last MARK, removed from the stack (TUPLE, DICT, OBJ …). */
  private popMark(frame: Frame, offset: number, opcode: string): Value[] {
    const m = frame.marks.pop();
    if (m === undefined) this.malformed(`${opcode} has no MARK`, offset, opcode);
    const at = m ?? 0;
    const items = frame.stack.slice(at);
    frame.stack.length = at;
    return items;
  }

  /** Like popMark when the items are not needed (APPENDS, POP_MARK …): no allocation. */
  private dropMark(frame: Frame, offset: number, opcode: string): void {
    const m = frame.marks.pop();
    if (m === undefined) this.malformed(`${opcode} has no MARK`, offset, opcode);
    frame.stack.length = m ?? 0;
  }

  private get(frame: Frame, idx: number, offset: number, opcode: string): void {
    const v = frame.memo.get(idx);
    if (v === undefined && !frame.degraded) this.malformed(`${opcode} ${idx} reads a memo entry that was never stored`, offset, opcode);
    frame.stack.push(v ?? OPAQUE);
  }

  private put(frame: Frame, idx: number, offset: number, opcode: string): void {
    const top = frame.stack.at(-1);
    if (top === undefined) return this.malformed(`${opcode} with an empty stack`, offset, opcode);
    if (frame.memo.size >= this.opts.limits.maxPickleMemo && !frame.memo.has(idx)) {
      // Not an alarm by itself: GLOBAL names are still checked, and a STACK_GLOBAL that needed a dropped entry is
      // reported as incomplete (see dynamicGlobal). Memory stays bounded by the limit.
      if (!frame.memoFull) {
        frame.memoFull = true;
        frame.degraded = true;
        this.say('pickle-memo-limit', `pickle memoizes more than ${this.opts.limits.maxPickleMemo} objects; later entries were not kept`, { offset });
      }
      return;
    }
    frame.memo.set(idx, slim(top));
  }

  private limit(frame: Frame, what: string, offset: number): void {
    if (frame.degraded) return;
    frame.degraded = true;
    this.summary.clean = false;
    this.say('pickle-resource-limit', `pickle ${what} exceeds the scan limit; the rest was walked in a degraded mode`, { offset });
  }

  private exec(code: number, info: OpcodeInfo, frame: Frame, arg: number, offset: number): void {
    const buf = this.buf;
    const s = frame.stack;
    const name = info.name;
    switch (code) {
      case 0x28: // MARK
        frame.marks.push(s.length);
        if (frame.marks.length > this.opts.limits.maxPickleStack) {
          this.limit(frame, 'mark depth', offset);
          frame.marks.length = 0;
        }
        return;
      case 0x2e: // STOP
        return this.stop(frame, this.pop(frame, offset, name));
      case 0x30: // POP: with nothing above the last MARK, CPython's load_pop pops the mark itself.
        if (frame.marks.length > 0 && s.length === frame.marks[frame.marks.length - 1]) frame.marks.pop();
        else this.pop(frame, offset, name);
        return;
      case 0x31: // POP_MARK
        this.dropMark(frame, offset, name);
        return;
      case 0x32: {
        // DUP
        const v = this.pop(frame, offset, name);
        s.push(v, v);
        break;
      }
      case 0x4a: // BININT
        s.push(readI32(buf, arg));
        break;
      case 0x4b: // BININT1
        s.push(buf[arg]!);
        break;
      case 0x4d: // BININT2
        s.push(buf[arg]! | (buf[arg + 1]! << 8));
        break;
      case 0x4e: // NONE
        s.push(null);
        break;
      case 0x51: // BINPERSID
        this.pop(frame, offset, name);
        s.push(OPAQUE);
        break;
      case 0x52: {
        // REDUCE
        const args = this.pop(frame, offset, name);
        const cls = this.pop(frame, offset, name);
        s.push({ k: 'obj', cls, args });
        break;
      }
      case 0x61: // APPEND
        this.pop(frame, offset, name);
        return;
      case 0x62: // BUILD
        return this.build(frame, this.pop(frame, offset, name), offset);
      case 0x64: {
        // DICT
        const items = this.popMark(frame, offset, name);
        const under = frame.stack.at(-1);
        frame.stack.push(under !== undefined && isArrayWrapper(under) ? dictOf(items) : DICT);
        break;
      }
      case 0x7d: // EMPTY_DICT: contents are kept only for a joblib wrapper's state (the object it will BUILD)
        s.push(s.length > 0 && isArrayWrapper(s[s.length - 1]!) ? { k: 'dict', entries: new Map() } : DICT);
        break;
      case 0x65: // APPENDS
      case 0x90: // ADDITEMS
        this.dropMark(frame, offset, name);
        return;
      case 0x68: // BINGET
        return this.get(frame, buf[arg]!, offset, name);
      case 0x6a: // LONG_BINGET
        return this.get(frame, readU32(buf, arg), offset, name);
      case 0x6c: // LIST
        this.dropMark(frame, offset, name);
        s.push(LIST);
        break;
      case 0x5d: // EMPTY_LIST
        s.push(LIST);
        break;
      case 0x6f: {
        // OBJ
        const items = this.popMark(frame, offset, name);
        const cls = items.length > 0 ? items[0]! : this.malformedValue('OBJ without a class', offset, name);
        frame.stack.push({ k: 'obj', cls, args: tuple(items.slice(1)) });
        break;
      }
      case 0x71: // BINPUT
        return this.put(frame, buf[arg]!, offset, name);
      case 0x72: // LONG_BINPUT
        return this.put(frame, readU32(buf, arg), offset, name);
      case 0x94: // MEMOIZE: the index is len(memo), which differs from the largest PUT index (bypass 2).
        return this.put(frame, frame.memo.size, offset, name);
      case 0x73: {
        // SETITEM
        const v = this.pop(frame, offset, name);
        const k = this.pop(frame, offset, name);
        setItem(s.at(-1), k, v);
        return;
      }
      case 0x75: {
        // SETITEMS: only a tracked dict (a joblib wrapper's state) needs its items; others drop them unread.
        const m = frame.marks[frame.marks.length - 1];
        const d = m === undefined ? undefined : s[m - 1];
        if (d === undefined || !isRef(d) || d.k !== 'dict' || d.entries === null) return this.dropMark(frame, offset, name);
        const items = this.popMark(frame, offset, name);
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
        return;
      }
      case 0x74: {
        // TUPLE (popMark replaces frame.stack, so pop before reading frame.stack)
        const items = this.popMark(frame, offset, name);
        frame.stack.push(tuple(items));
        break;
      }
      case 0x29: // EMPTY_TUPLE
        s.push(tuple([]));
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = code - 0x84;
        const items: Value[] = new Array<Value>(n);
        for (let i = n - 1; i >= 0; i--) items[i] = this.pop(frame, offset, name);
        s.push(tuple(items));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double): the value never matters, only that it is a number.
        s.push(0.5);
        break;
      case 0x80: {
        // PROTO
        const v = buf[arg]!;
        if (v > HIGHEST_PROTOCOL) this.malformed(`unsupported protocol ${v}`, offset, name);
        else if (frame.opcodes !== 1 && this.nesting === 0) {
          this.say('pickle-protocol-anomaly', `PROTO ${v} appears after ${frame.opcodes - 1} other opcodes`, { offset, opcode: name });
        }
        return;
      }
      case 0x81: {
        // NEWOBJ
        const args = this.pop(frame, offset, name);
        const cls = this.pop(frame, offset, name);
        s.push({ k: 'obj', cls, args });
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        this.pop(frame, offset, name);
        const args = this.pop(frame, offset, name);
        const cls = this.pop(frame, offset, name);
        s.push({ k: 'obj', cls, args });
        break;
      }
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: {
        // EXT4
        const ext = code === 0x82 ? buf[arg]! : code === 0x83 ? buf[arg]! | (buf[arg + 1]! << 8) : readI32(buf, arg);
        this.say('pickle-ext-code', `${name} ${ext} imports whatever the loading process registered under that code`, { offset, opcode: name });
        s.push({ k: 'global', module: '<extension registry>', name: String(ext) });
        break;
      }
      case 0x88: // NEWTRUE
        s.push(true);
        break;
      case 0x89: // NEWFALSE
        s.push(false);
        break;
      case 0x8f: // EMPTY_SET
        s.push(OPAQUE);
        break;
      case 0x91: // FROZENSET
        this.dropMark(frame, offset, name);
        s.push(OPAQUE);
        break;
      case 0x93: {
        // STACK_GLOBAL
        const n = this.pop(frame, offset, name);
        const m = this.pop(frame, offset, name);
        if (typeof m === 'string' && typeof n === 'string') {
          this.onGlobal(m, n, offset, name);
          s.push({ k: 'global', module: m, name: n });
        } else {
          this.dynamicGlobal(frame, m, n, offset);
          s.push({ k: 'global', module: '?', name: '?' });
        }
        break;
      }
      case 0x95: {
        // FRAME: the unpickler reads the whole frame at once and fails if the stream is shorter.
        const len = readU32(buf, arg) + readU32(buf, arg + 4) * 0x100000000;
        this.frameEnd = Math.max(this.frameEnd, offset + 9 + len);
        return;
      }
      case 0x98: // READONLY_BUFFER
        return;
      case 0x97: // NEXT_BUFFER: out-of-band data supplied by the loader, not in the file
        s.push(OPAQUE);
        break;
      default:
        return;
    }
    if (frame.stack.length > this.opts.limits.maxPickleStack) {
      this.limit(frame, 'stack', offset);
      frame.stack.length = 0;
    }
  }

  private malformedValue(why: string, offset: number, opcode: string): Value {
    this.malformed(why, offset, opcode);
    return OPAQUE;
  }

  private dynamicGlobal(frame: Frame, m: Value, n: Value, offset: number): void {
    const what = `${describe(m)} and ${describe(n)}`;
    const computed = (v: Value): boolean => isRef(v) && (v.k === 'obj' || v.k === 'global');
    if (!computed(m) && !computed(n) && !frame.degraded && !frame.broken) {
      // Ints, bytes or containers: CPython raises "STACK_GLOBAL requires str" — the load fails here.
      this.malformed(`STACK_GLOBAL operands are not strings (${what})`, offset, 'STACK_GLOBAL');
      return;
    }
    if (frame.degraded || frame.broken) {
      this.say('scan-incomplete', `STACK_GLOBAL operands (${what}) could not be resolved after a walker limit or error`, {
        offset,
        opcode: 'STACK_GLOBAL',
      });
      return;
    }
    const key = `dynamic\n${offset}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.say('pickle-dynamic-global', `STACK_GLOBAL imports a name computed at load time (${what})`, { offset, opcode: 'STACK_GLOBAL' });
  }

  private build(frame: Frame, state: Value, offset: number): void {
    const obj = frame.stack.at(-1);
    if (obj === undefined) return this.malformed('BUILD with an empty stack', offset, 'BUILD');
    if (isRef(obj) && obj.k === 'obj') obj.state = state;
    if (!isArrayWrapper(obj)) return;
    this.summary.joblib = true;
    frame.stack[frame.stack.length - 1] = OPAQUE;
    const plan = arrayBytesAfterBuild(obj);
    if (plan.kind === 'pickle') {
      // Object arrays: joblib writes a whole protocol-2 pickle inline; walk it as a nested frame.
      this.frames.push(newFrame(false, true));
      return;
    }
    if (plan.kind === 'unknown') {
      this.say('scan-incomplete', `joblib array header could not be read (${plan.why}); the bytes after it were not analysed`, { offset });
      this.mode = 'done';
      return;
    }
    this.padThenSkip = plan.bytes;
    if (plan.padded) this.mode = 'pad';
    else if (plan.bytes > 0) {
      this.mode = 'skip';
      this.remaining = plan.bytes;
      this.afterSkip = 'op';
    }
  }

  private stop(frame: Frame, result: Value): void {
    for (const [rule, msg, loc] of frame.pending) this.say(rule, msg, loc);
    frame.pending.length = 0;
    if (frame.inline) {
      this.frames.pop();
      this.frames[this.frames.length - 1]!.stack.push(OPAQUE);
      return;
    }
    this.summary.pickles++;
    if (this.summary.pickles === 1 && result === TORCH_MAGIC) this.summary.torchLegacy = true;
    if (frame.broken) this.summary.clean = false;
    this.summary.result = result;
    this.summary.end = this.abs();
    this.frames = [];
    this.mode = this.summary.torchLegacy && this.summary.pickles >= TORCH_LEGACY_PICKLES ? 'done' : 'between';
    if (this.nesting > 0 || this.opts.single === true) this.mode = 'done';
  }
}

/**
 * What the memo keeps of a value: everything that can name a global or size a joblib array (strings, globals,
 * call results, small all-primitive tuples); floats and tuples of other things become opaque, which keeps memory
 * per memoized object at about one pointer in pickles of millions of objects.
 */
function slim(v: Value): Value {
  if (typeof v === 'number') return Number.isInteger(v) ? v : OPAQUE;
  if (typeof v === 'string') return v.length <= 1024 ? v : LONGSTR;
  if (!isRef(v) || v.k !== 'tuple' || v.items === null) return v;
  if (v.items.length > 8) return BIG_TUPLE;
  for (const x of v.items) if (!(x === null || typeof x === 'boolean' || typeof x === 'string' || (typeof x === 'number' && Number.isInteger(x)))) return BIG_TUPLE;
  return v;
}

/** Fixed argument length by opcode byte; -1 for length-prefixed and line arguments. */
const FIXED_ARG: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  const len: Partial<Record<string, number>> = { none: 0, u1: 1, u2: 2, i4: 4, u4: 4, u8: 8, f8: 8 };
  OPCODES.forEach((o, i) => {
    if (o !== undefined && len[o.arg] !== undefined) t[i] = len[o.arg]!;
  });
  return t;
})();

function newFrame(speculative: boolean, inline: boolean): Frame {
  return { stack: [], marks: [], memo: new Memo(), opcodes: 0, broken: false, degraded: false, memoFull: false, inline, pending: [], speculative };
}

function dictOf(items: Value[]): Ref {
  const d: Ref = { k: 'dict', entries: new Map() };
  for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
  return d;
}

/** Tracked dicts (joblib wrapper state) keep up to 64 string-keyed entries; past that they become opaque. */
function setItem(d: Value | undefined, k: Value, v: Value): void {
  if (d === undefined || !isRef(d) || d.k !== 'dict' || d.entries === null || typeof k !== 'string') return;
  if (d.entries.size >= 64) d.entries = null;
  else d.entries.set(k, v);
}

function describe(v: Value): string {
  if (typeof v === 'string') return `'${v.slice(0, 40)}'`;
  if (!isRef(v)) return typeof v;
  if (v.k === 'obj') {
    const g = isRef(v.cls) && v.cls.k === 'global' ? `${v.cls.module}.${v.cls.name}` : 'an object';
    return `the result of calling ${g}`;
  }
  if (v.k === 'global') return `the global ${v.module}.${v.name}`;
  return `a ${v.k} value`;
}

function indexOfNewline(buf: Uint8Array, from: number): number {
  return buf.indexOf(0x0a, from);
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

function readI32(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}
