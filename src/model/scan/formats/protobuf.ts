import type { Blob } from '../blob.js';

/*
 * A bounded, schema-less reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/).
 *
 * Why hand-written instead of protobufjs: we walk untrusted, possibly multi-GB files (ONNX models keep their weights
 * inline) and need to look at a handful of fields deep inside them. protobufjs decodes a whole message into objects,
 * so a 2 GB ModelProto would be copied into memory before we could look at one node. Here a message is a byte range
 * of a `Blob`; iterating it reads only tags and lengths, and the caller decides which payloads to read (short
 * strings), which to descend into (sub-messages) and which to skip (tensor bytes). Every length is checked against
 * the bytes of its enclosing message, every varint is at most 10 bytes, and a shared budget bounds the fields
 * visited, so no input can make the walk read past its range, allocate with the file size, or run unbounded.
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

/** How many fields one scan may visit, shared by every iterator of that scan. */
export interface FieldBudget {
  fields: number;
}

/** One field of a message. Offsets are absolute (in the blob or the buffer iterated). */
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
  /** The payload of a LEN field, when its enclosing message was read into memory. */
  data?: Uint8Array;
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
 * Decodes a varint at `pos`; undefined when the bytes end before it does (the caller decides whether that is a
 * truncated file or just the end of a sniffing window). More than 10 bytes, or a 10th byte above 1 (more than 64
 * bits), is malformed.
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
 * Decodes one field header at `pos` of `buf` (whose byte 0 is at absolute offset `base`). Returns undefined when
 * `buf` ends inside the header. `room` is how many bytes the enclosing message has from `pos` on: a payload that
 * does not fit is malformed. Groups (wire types 3 and 4) are rejected: no proto2 or proto3 schema read here
 * (onnx.proto, TensorFlow's protos) declares one, and a real parser would only skip them.
 */
export function readHeader(buf: Uint8Array, pos: number, end: number, room: number, base = 0): ProtoField | undefined {
  const tagOffset = base + pos;
  const tag = readVarint(buf, pos, end, base);
  if (tag === undefined) return undefined;
  const field = Math.floor(tag.value / 8);
  const wire = tag.value % 8;
  if (field === 0 || field > MAX_FIELD_NUMBER) throw new ProtoError(`invalid field number ${field}`, tagOffset);
  const used = tag.next - pos;
  switch (wire) {
    case WIRE_VARINT: {
      const v = readVarint(buf, tag.next, end, base);
      if (v === undefined) return undefined;
      if (v.next - pos > room) throw new ProtoError('varint runs past the end of its message', tagOffset);
      return { field, wire, tagOffset, offset: base + tag.next, length: v.next - tag.next, value: v.value };
    }
    case WIRE_I64:
    case WIRE_I32: {
      const length = wire === WIRE_I64 ? 8 : 4;
      if (used + length > room) throw new ProtoError('fixed-width value runs past the end of its message', tagOffset);
      return { field, wire, tagOffset, offset: base + tag.next, length, value: 0 };
    }
    case WIRE_LEN: {
      const len = readVarint(buf, tag.next, end, base);
      if (len === undefined) return undefined;
      const headerLength = len.next - pos;
      if (len.value > room - headerLength) {
        throw new ProtoError(`length ${len.value} of field ${field} exceeds the ${room - headerLength} bytes left`, tagOffset);
      }
      return { field, wire, tagOffset, offset: base + len.next, length: len.value, value: 0 };
    }
    case WIRE_SGROUP:
    case WIRE_EGROUP:
      throw new ProtoError(`group wire type in field ${field} (not used by these schemas)`, tagOffset);
    default:
      throw new ProtoError(`invalid wire type ${wire} in field ${field}`, tagOffset);
  }
}

function charge(budget: FieldBudget | undefined, offset: number): void {
  if (budget === undefined) return;
  if (--budget.fields < 0) throw new ProtoLimitError(offset);
}

/**
 * Iterates the fields of an in-memory message `buf[start, end)`. Offsets are `base` + the position in `buf` (pass the
 * buffer's offset in the blob to get blob offsets); LEN fields carry their payload as `data`.
 */
export function* fieldsIn(buf: Uint8Array, start = 0, end = buf.length, budget?: FieldBudget, base = 0): Generator<ProtoField> {
  let pos = start;
  while (pos < end) {
    charge(budget, base + pos);
    const f = readHeader(buf, pos, end, end - pos, base);
    if (f === undefined) throw new ProtoError('message ends inside a field header', base + pos);
    const rel = f.offset - base;
    if (f.wire === WIRE_LEN) f.data = buf.subarray(rel, rel + f.length);
    yield f;
    pos = rel + f.length;
  }
}

/** A message's bytes: a LEN field (whose `data` is set when its parent was in memory), or the whole blob. */
export interface Span {
  offset: number;
  length: number;
  data?: Uint8Array;
}

/**
 * The result of visiting: nothing when the work finished synchronously, a promise when it had to read. Walkers
 * return `Step`s instead of being `async` so a message already in memory is walked without a microtask per field
 * (an async walk cost ~3 µs per field; this one costs a fraction of that).
 */
export type Step = void | Promise<void>;
export type Visit = (f: ProtoField) => Step;

/** Runs `next` after `step`: at once when `step` finished synchronously. */
export function then(step: Step, next: () => Step): Step {
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

/** Visits every field an iterator yields, pausing on the promises `visit` returns. */
function drive(it: Iterator<ProtoField>, visit: Visit): Step {
  for (let r = it.next(); r.done !== true; r = it.next()) {
    const step = visit(r.value);
    if (step !== undefined) return step.then(() => drive(it, visit));
  }
  return undefined;
}

/**
 * Size of the read-ahead window of `BlobReader`, and the largest message read into memory whole. Headers of
 * consecutive small fields come from one read; a larger message is walked header by header, so its big payloads
 * (tensor bytes) are skipped without being read.
 */
const WINDOW_BYTES = 64 * 1024;

/** Random access to a blob through one cached window, and the walk over its messages. */
export class BlobReader {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;

  constructor(readonly blob: Blob) {}

  get size(): number {
    return this.blob.size;
  }

  /** The whole blob as a span, to walk its top-level message. */
  get all(): Span {
    return { offset: 0, length: this.blob.size };
  }

  private cached(offset: number, length: number): Uint8Array | undefined {
    const rel = offset - this.windowStart;
    return rel >= 0 && rel + length <= this.window.length ? this.window.subarray(rel, rel + length) : undefined;
  }

  /** Bytes `[offset, offset + length)`, fewer only at the end of the blob. Large reads bypass the window. */
  async bytes(offset: number, length: number): Promise<Uint8Array> {
    const hit = this.cached(offset, length);
    if (hit !== undefined) return hit;
    if (length > WINDOW_BYTES) return this.blob.read(offset, length);
    this.window = await this.blob.read(offset, WINDOW_BYTES);
    this.windowStart = offset;
    return this.window.subarray(0, Math.min(length, this.window.length));
  }

  /**
   * Visits the fields of a message. A message in memory, or small enough to read whole, is walked synchronously;
   * a larger one is walked by reading one header at a time, so `visit` decides which payloads are ever read.
   */
  each(span: Span, budget: FieldBudget | undefined, visit: Visit): Step {
    if (span.data !== undefined) return drive(fieldsIn(span.data, 0, span.data.length, budget, span.offset), visit);
    if (span.offset + span.length > this.size) throw new ProtoError('message runs past the end of the file', span.offset);
    if (span.length > WINDOW_BYTES) return this.eachLarge(span, budget, visit);
    const hit = this.cached(span.offset, span.length);
    if (hit !== undefined) return drive(fieldsIn(hit, 0, hit.length, budget, span.offset), visit);
    return this.bytes(span.offset, span.length).then((buf) => drive(fieldsIn(buf, 0, buf.length, budget, span.offset), visit));
  }

  private async eachLarge(span: Span, budget: FieldBudget | undefined, visit: Visit): Promise<void> {
    const end = span.offset + span.length;
    for (let pos = span.offset; pos < end; ) {
      charge(budget, pos);
      const room = end - pos;
      const want = Math.min(MAX_HEADER_BYTES, room);
      const buf = this.cached(pos, want) ?? (await this.bytes(pos, want));
      const f = readHeader(buf, 0, buf.length, room, pos);
      if (f === undefined) throw new ProtoError('message ends inside a field header', pos);
      const step = visit(f);
      if (step !== undefined) await step;
      pos = f.offset + f.length;
    }
  }

  /** A LEN field as UTF-8 text cut to `cap` bytes (invalid sequences become U+FFFD); synchronous when in memory. */
  text(f: ProtoField, cap = 4096): string | Promise<string> {
    const n = Math.min(f.length, cap);
    if (f.data !== undefined) return decodeText(f.data.subarray(0, n));
    const hit = this.cached(f.offset, n);
    if (hit !== undefined) return decodeText(hit);
    return this.bytes(f.offset, n).then(decodeText);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

export function decodeText(bytes: Uint8Array): string {
  // Names and op types are short ASCII; building those directly is several times faster than TextDecoder.
  if (bytes.length <= 64 && bytes.every((b) => b < 0x80)) return String.fromCharCode(...bytes);
  return UTF8.decode(bytes);
}
