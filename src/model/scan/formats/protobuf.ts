import type { Blob } from '../blob.js';

/*
 * A bounded, schema-less reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/).
 *
 * Why hand-written instead of protobufjs: we walk untrusted, possibly multi-GB files (ONNX models keep their weights
 * inline) and need to look at a handful of fields deep inside them. protobufjs decodes a whole message into objects,
 * so a 2 GB ModelProto would be copied into memory before we could look at one node. Here a message is a byte range
 * of a `Blob`; walking it reads only tags and lengths, and the caller decides which payloads to read (short
 * strings), which to descend into (sub-messages) and which to skip (tensor bytes). Every length is checked against
 * the bytes of its enclosing message, every varint is at most 10 bytes, groups are rejected, and a shared budget
 * bounds the fields visited, so no input can make the walk read past its range, allocate with the file size, or run
 * unbounded.
 */

/** Wire types (encoding guide, "Message Structure"). */
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

/** A malformed encoding; `offset` is where in the blob it was found. */
export class ProtoError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'ProtoError';
  }
}

/** The field budget ran out: the file has more structure than a scan is allowed to walk. */
export class ProtoLimitError extends ProtoError {
  constructor(offset: number) {
    super('field budget exhausted', offset);
    this.name = 'ProtoLimitError';
  }
}

/** How many fields one scan may visit, shared by every walk of that scan. */
export interface FieldBudget {
  fields: number;
}

/** Bytes already in memory, with the blob offset of their first byte. */
interface Source {
  buf: Uint8Array;
  base: number;
}

/** One field of a message. Offsets are absolute: in the blob, or in the buffer given to `readHeader`. */
export interface ProtoField {
  field: number;
  wire: number;
  /** Where the tag starts. */
  tagOffset: number;
  /** Where the value starts: the payload of a LEN field, the bytes of a fixed or varint value. */
  offset: number;
  /** Payload length of a LEN field; 8, 4 or the varint's byte count otherwise. */
  length: number;
  /**
   * A varint's value. Exact below 2^53; larger values (negative int64s are 10-byte varints) are approximate, which
   * is enough for the enum and version fields the scanners read.
   */
  value: number;
  /** The in-memory bytes holding this field, when its enclosing message was read whole. */
  src?: Source;
}

const MAX_VARINT_BYTES = 10;
/** Longest tag plus longest length prefix: enough bytes to decode any field header. */
const MAX_HEADER_BYTES = 2 * MAX_VARINT_BYTES;
/** Field numbers are 29 bits (encoding guide); 0 is invalid. */
const MAX_FIELD_NUMBER = 2 ** 29 - 1;

interface Varint {
  value: number;
  next: number;
}

/**
 * Decodes a varint at `pos`; undefined when the bytes end (at `end`) before it does. More than 10 bytes, or a 10th
 * byte above 1 (more than 64 bits), is malformed. `base` only shifts offsets in error messages.
 */
export function readVarint(buf: Uint8Array, pos: number, end: number, base = 0): Varint | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (pos + i >= end) return undefined;
    const b = buf[pos + i]!;
    if (i === MAX_VARINT_BYTES - 1 && b > 1) throw new ProtoError('varint longer than 64 bits', base + pos);
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  throw new ProtoError('varint longer than 10 bytes', base + pos);
}

/**
 * Decodes one field header at `pos` of `buf` (whose byte 0 is at absolute offset `base`). `room` is how many bytes
 * the enclosing message has from `pos` on: a header or payload that does not fit is malformed. Returns undefined
 * when `buf` ends (at `end`) before the header does, which callers treat as truncation or, when sniffing a file's
 * first bytes, as the end of what they can see. Groups (wire types 3 and 4) are rejected: no schema read here
 * (onnx.proto, TensorFlow's protos) declares one, so they only appear in crafted files.
 */
export function readHeader(buf: Uint8Array, pos: number, end: number, room: number, base = 0): ProtoField | undefined {
  const tagOffset = base + pos;
  const limit = Math.min(end, pos + room);
  const tag = readVarint(buf, pos, limit, base);
  if (tag === undefined) return limit < end ? truncated(tagOffset) : undefined;
  const field = Math.floor(tag.value / 8);
  const wire = tag.value % 8;
  if (field === 0 || field > MAX_FIELD_NUMBER) throw new ProtoError(`invalid field number ${field}`, tagOffset);
  switch (wire) {
    case WIRE_VARINT: {
      const v = readVarint(buf, tag.next, limit, base);
      if (v === undefined) return limit < end ? truncated(tagOffset) : undefined;
      return { field, wire, tagOffset, offset: base + tag.next, length: v.next - tag.next, value: v.value };
    }
    case WIRE_I64:
    case WIRE_I32: {
      const length = wire === WIRE_I64 ? 8 : 4;
      if (tag.next - pos + length > room) throw new ProtoError('fixed-width value runs past the end of its message', tagOffset);
      return { field, wire, tagOffset, offset: base + tag.next, length, value: 0 };
    }
    case WIRE_LEN: {
      const len = readVarint(buf, tag.next, limit, base);
      if (len === undefined) return limit < end ? truncated(tagOffset) : undefined;
      const left = room - (len.next - pos);
      if (len.value > left) throw new ProtoError(`length ${len.value} of field ${field} exceeds the ${left} bytes left`, tagOffset);
      return { field, wire, tagOffset, offset: base + len.next, length: len.value, value: 0 };
    }
    case WIRE_SGROUP:
    case WIRE_EGROUP:
      throw new ProtoError(`group wire type in field ${field} (not used by these schemas)`, tagOffset);
    default:
      throw new ProtoError(`invalid wire type ${wire} in field ${field}`, tagOffset);
  }
}

/** Field numbers below this that a sniffer does not know are tolerated (see `wireFits`). */
const MAX_NEW_FIELD = 64;

/**
 * For sniffing: a known field must have its schema's wire type; an unknown one (a field added by a later release of
 * the schema) is tolerated when its number is small, as schema fields are, unlike what random bytes produce.
 */
export function wireFits(wires: ReadonlyMap<number, number>, f: ProtoField): boolean {
  const want = wires.get(f.field);
  return want === undefined ? f.field <= MAX_NEW_FIELD : want === f.wire;
}

function truncated(offset: number): never {
  throw new ProtoError('message ends inside a field header', offset);
}

function charge(budget: FieldBudget | undefined, offset: number): void {
  if (budget !== undefined && --budget.fields < 0) throw new ProtoLimitError(offset);
}

/**
 * The result of visiting: nothing when the work finished synchronously, a promise when it had to read. Walkers
 * return `Step`s instead of being `async`, so a message already in memory is walked without a microtask per field
 * (an async-generator walk cost ~2.5 µs per field; this one a fraction of that).
 */
export type Step = void | Promise<void>;
export type Visit = (f: ProtoField) => Step;

/**
 * Runs `next` after `step`: at once when `step` finished synchronously. (Not named `then`: a module exporting `then`
 * is a thenable, and `await import()` of it would call it.)
 */
export function andThen(step: Step, next: () => Step): Step {
  return step === undefined ? next() : step.then(next);
}

/** Hands text to `use` at once when it is in memory, after the read otherwise. */
export function withText(text: string | Promise<string>, use: (s: string) => void): Step {
  if (typeof text === 'string') {
    use(text);
    return undefined;
  }
  return text.then(use);
}

/** Visits the fields of the in-memory message `src.buf[start, end)`, pausing on the promises `visit` returns. */
function walkBuffer(src: Source, start: number, end: number, budget: FieldBudget | undefined, visit: Visit): Step {
  for (let pos = start; pos < end; ) {
    charge(budget, src.base + pos);
    const f = readHeader(src.buf, pos, end, end - pos, src.base) ?? truncated(src.base + pos);
    f.src = src;
    pos = f.offset - src.base + f.length;
    const step = visit(f);
    if (step !== undefined) {
      const next = pos;
      return step.then(() => walkBuffer(src, next, end, budget, visit));
    }
  }
  return undefined;
}

/** Iterates the fields of an in-memory message `buf[start, end)` (offsets relative to `buf`). */
export function* fieldsIn(buf: Uint8Array, start = 0, end = buf.length, budget?: FieldBudget): Generator<ProtoField> {
  for (let pos = start; pos < end; ) {
    charge(budget, pos);
    const f = readHeader(buf, pos, end, end - pos) ?? truncated(pos);
    yield f;
    pos = f.offset + f.length;
  }
}

/** A message's bytes: a LEN field, or the whole blob. */
export interface Span {
  offset: number;
  length: number;
  src?: Source;
}

/**
 * Size of the read-ahead window of `BlobReader`, and the largest message read into memory whole. Headers of
 * consecutive small fields come from one read; a larger message is walked header by header, so its big payloads
 * (tensor bytes) are skipped without being read.
 */
const WINDOW_BYTES = 64 * 1024;

/** Walks the messages of a blob through one cached read window. */
export class BlobReader {
  private window: Source = { buf: new Uint8Array(0), base: 0 };

  constructor(readonly blob: Blob) {}

  get size(): number {
    return this.blob.size;
  }

  /** The whole blob as a span, to walk its top-level message. */
  get all(): Span {
    return { offset: 0, length: this.blob.size };
  }

  private inWindow(offset: number, length: number): boolean {
    const rel = offset - this.window.base;
    return rel >= 0 && rel + length <= this.window.buf.length;
  }

  private async load(offset: number): Promise<void> {
    this.window = { buf: await this.blob.read(offset, WINDOW_BYTES), base: offset };
  }

  /** Bytes `[offset, offset + length)`, fewer only at the end of the blob. Large reads bypass the window. */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    if (length > WINDOW_BYTES) return this.blob.read(offset, length);
    if (!this.inWindow(offset, length)) await this.load(offset);
    const rel = offset - this.window.base;
    return this.window.buf.subarray(rel, Math.min(rel + length, this.window.buf.length));
  }

  /**
   * Visits the fields of a message. A message in memory, or small enough to read whole, is walked synchronously;
   * a larger one is walked by reading one header at a time, so `visit` decides which payloads are ever read.
   */
  each(span: Span, budget: FieldBudget | undefined, visit: Visit): Step {
    const { src } = span;
    if (src !== undefined) return walkBuffer(src, span.offset - src.base, span.offset - src.base + span.length, budget, visit);
    if (span.offset + span.length > this.size) throw new ProtoError('message runs past the end of the file', span.offset);
    if (span.length > WINDOW_BYTES) return this.eachLarge(span, budget, visit);
    const inMemory = (): Step => {
      const w = this.window;
      return walkBuffer(w, span.offset - w.base, span.offset - w.base + span.length, budget, visit);
    };
    return this.inWindow(span.offset, span.length) ? inMemory() : this.load(span.offset).then(inMemory);
  }

  private async eachLarge(span: Span, budget: FieldBudget | undefined, visit: Visit): Promise<void> {
    const end = span.offset + span.length;
    for (let pos = span.offset; pos < end; ) {
      charge(budget, pos);
      const room = end - pos;
      if (!this.inWindow(pos, Math.min(MAX_HEADER_BYTES, room))) await this.load(pos);
      const w = this.window;
      const f = readHeader(w.buf, pos - w.base, w.buf.length, room, w.base) ?? truncated(pos);
      const step = visit(f);
      if (step !== undefined) await step;
      pos = f.offset + f.length;
    }
  }

  /** A LEN field as UTF-8 text cut to `cap` bytes (invalid sequences become U+FFFD); synchronous when in memory. */
  text(f: ProtoField, cap = 4096): string | Promise<string> {
    const n = Math.min(f.length, cap);
    const src = f.src ?? (this.inWindow(f.offset, n) ? this.window : undefined);
    if (src !== undefined) return decodeText(src.buf, f.offset - src.base, f.offset - src.base + n);
    return this.bytes(f.offset, n).then((b) => decodeText(b, 0, b.length));
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** Decodes `buf[start, end)` as UTF-8. */
export function decodeText(buf: Uint8Array, start = 0, end = buf.length): string {
  // Names and op types are short ASCII; building those directly is several times faster than TextDecoder.
  if (end - start <= 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b >= 0x80) return UTF8.decode(buf.subarray(start, end));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return UTF8.decode(buf.subarray(start, end));
}
