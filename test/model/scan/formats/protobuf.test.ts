import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferBlob } from '../../../../src/model/scan/blob.js';
import {
  BlobReader,
  ProtoError,
  ProtoLimitError,
  WIRE_I32,
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
  decodeText,
  fieldsIn,
  readHeader,
  readVarint,
  type Span,
  type Step,
} from '../../../../src/model/scan/formats/protobuf.js';
import { bytes, len, msg, str, tag, varint } from './proto-encode.js';

describe('readVarint', () => {
  it('decodes one to ten bytes', () => {
    expect(readVarint(Uint8Array.of(0x00), 0, 1)).toEqual({ value: 0, next: 1 });
    expect(readVarint(Uint8Array.of(0x96, 0x01), 0, 2)).toEqual({ value: 150, next: 2 });
    expect(readVarint(varint(2 ** 53 - 1), 0, 8)?.value).toBe(2 ** 53 - 1);
    // -1 as an int64 is ten bytes, the last one 0x01.
    const minusOne = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    expect(readVarint(minusOne, 0, 10)?.next).toBe(10);
  });

  it('returns undefined when the bytes end first', () => {
    expect(readVarint(Uint8Array.of(0x80, 0x80), 0, 2)).toBeUndefined();
    expect(readVarint(Uint8Array.of(), 0, 0)).toBeUndefined();
  });

  it('rejects more than 10 bytes and more than 64 bits', () => {
    expect(() => readVarint(new Uint8Array(11).fill(0x80), 0, 11)).toThrow(/longer than 10 bytes|64 bits/);
    const tooWide = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02);
    expect(() => readVarint(tooWide, 0, 10)).toThrow(ProtoError);
  });
});

describe('readHeader', () => {
  it('decodes each accepted wire type', () => {
    const v = readHeader(Uint8Array.of(...tag(1, WIRE_VARINT), 0x2a), 0, 2, 2);
    expect(v).toMatchObject({ field: 1, wire: WIRE_VARINT, offset: 1, length: 1, value: 42 });
    const l = readHeader(Uint8Array.of(...tag(7, WIRE_LEN), 3, 1, 2, 3), 0, 5, 5, 100);
    expect(l).toMatchObject({ field: 7, wire: WIRE_LEN, tagOffset: 100, offset: 102, length: 3 });
    expect(readHeader(Uint8Array.of(...tag(2, WIRE_I64), ...new Array(8).fill(0)), 0, 9, 9)?.length).toBe(8);
    expect(readHeader(Uint8Array.of(...tag(2, WIRE_I32), 0, 0, 0, 0), 0, 5, 5)?.length).toBe(4);
  });

  it('checks payloads against the room of the enclosing message', () => {
    const b = Uint8Array.of(...tag(1, WIRE_LEN), 10, 1, 2);
    expect(() => readHeader(b, 0, b.length, b.length)).toThrow(/exceeds the 2 bytes left/);
    // A sniffer that only sees the head may allow more room than the bytes it has.
    expect(readHeader(b, 0, b.length, 1000)?.length).toBe(10);
    expect(() => readHeader(Uint8Array.of(...tag(1, WIRE_I64), 0, 0), 0, 3, 3)).toThrow(/fixed-width/);
  });

  it('rejects field 0, groups and undefined wire types', () => {
    expect(() => readHeader(Uint8Array.of(0x00, 0x00), 0, 2, 2)).toThrow(/invalid field number 0/);
    expect(() => readHeader(Uint8Array.of(...tag(1, 3)), 0, 1, 1)).toThrow(/group/);
    expect(() => readHeader(Uint8Array.of(...tag(1, 4)), 0, 1, 1)).toThrow(/group/);
    expect(() => readHeader(Uint8Array.of(...tag(1, 6)), 0, 1, 1)).toThrow(/invalid wire type 6/);
    expect(() => readHeader(Uint8Array.of(...tag(1, 7)), 0, 1, 1)).toThrow(/invalid wire type 7/);
  });

  it('tells a header cut by the message end (malformed) from one cut by the buffer end (unknown yet)', () => {
    const b = Uint8Array.of(...tag(1, WIRE_LEN), 0x80);
    expect(readHeader(b, 0, b.length, 100)).toBeUndefined();
    expect(() => readHeader(Uint8Array.of(...b, 0x01), 0, 3, 2)).toThrow(/ends inside a field header/);
  });
});

describe('fieldsIn', () => {
  it('iterates a message and stops at its end', () => {
    const m = msg(str(1, 'abc'), bytes(2, varint(5)), Uint8Array.of(...tag(3, WIRE_VARINT), 7));
    const fields = [...fieldsIn(m)];
    expect(fields.map((f) => [f.field, f.wire])).toEqual([
      [1, WIRE_LEN],
      [2, WIRE_LEN],
      [3, WIRE_VARINT],
    ]);
    expect(decodeText(m, fields[0]!.offset, fields[0]!.offset + fields[0]!.length)).toBe('abc');
  });

  it('throws on a truncated message and when the budget runs out', () => {
    expect(() => [...fieldsIn(Uint8Array.of(...tag(1, WIRE_LEN)))]).toThrow(ProtoError);
    const many = msg(...Array.from({ length: 10 }, () => str(1, 'x')));
    expect(() => [...fieldsIn(many, 0, many.length, { fields: 5 })]).toThrow(ProtoLimitError);
  });
});

/** Collects (depth, field, text) of every LEN field, descending into those that parse as messages. */
function walkAll(r: BlobReader, span: Span, depth = 0, out: string[] = []): Step {
  return r.each(span, undefined, (f) => {
    out.push(`${depth}:${f.field}`);
    if (f.wire === WIRE_LEN && f.field === 9) return walkAll(r, f, depth + 1, out);
  });
}

describe('BlobReader', () => {
  it('walks nested messages, reading small ones whole and large ones header by header', async () => {
    const inner = msg(str(1, 'node'), str(2, 'op'));
    const big = new Uint8Array(200_000); // a payload larger than the read window: skipped, never decoded
    const file = msg(bytes(9, inner), bytes(5, big), bytes(9, msg(bytes(9, inner))));
    const reads: [number, number][] = [];
    const blob = new BufferBlob(file);
    const spy = { size: blob.size, read: (o: number, n: number) => (reads.push([o, n]), blob.read(o, n)) };
    const r = new BlobReader(spy);
    const out: string[] = [];
    await walkAll(r, r.all, 0, out);
    expect(out).toEqual(['0:9', '1:1', '1:2', '0:5', '0:9', '1:9', '2:1', '2:2']);
    // Headers and small messages come from 64 KiB windows; the 200 KB payload is never read.
    expect(reads.every(([, n]) => n <= 64 * 1024)).toBe(true);
    expect(reads.length).toBeLessThanOrEqual(3);
  });

  it('reads text synchronously when in memory and caps it', async () => {
    const file = msg(bytes(1, msg(str(1, 'héllo wörld'))));
    const r = new BlobReader(new BufferBlob(file));
    const texts: string[] = [];
    await r.each(r.all, undefined, (outer) =>
      r.each(outer, undefined, (f) => {
        const t = r.text(f, 5);
        expect(typeof t).toBe('string');
        texts.push(t as string);
      }),
    );
    expect(texts).toEqual(['h\u00e9ll']);
  });

  it('rejects a message that claims more bytes than the file has', () => {
    const r = new BlobReader(new BufferBlob(new Uint8Array(10)));
    expect(() => r.each({ offset: 4, length: 100 }, undefined, () => undefined)).toThrow(/past the end of the file/);
  });

  it('reports truncation inside a large message with its offset', async () => {
    const file = msg(bytes(1, new Uint8Array(70_000)), Uint8Array.of(...tag(2, WIRE_LEN), 0x80));
    const r = new BlobReader(new BufferBlob(file));
    await expect(Promise.resolve(r.each(r.all, undefined, () => undefined))).rejects.toThrow(/ends inside a field header at offset 70004/);
  });
});

/** Walks every LEN field that parses as a message, to depth 8, as the scanners do: only ProtoError may escape. */
async function fuzzWalk(data: Uint8Array): Promise<void> {
  const r = new BlobReader(new BufferBlob(data));
  const budget = { fields: 10_000 };
  const walk = (span: Span, depth: number): Step =>
    r.each(span, budget, (f) => {
      if (f.wire !== WIRE_LEN || depth >= 8) return;
      const t = r.text(f, 16);
      const inner = walk(f, depth + 1);
      return inner === undefined && typeof t === 'string' ? undefined : Promise.all([t, inner]).then(() => undefined);
    });
  try {
    await walk(r.all, 0);
  } catch (err) {
    if (!(err instanceof ProtoError)) throw err;
  }
}

describe('property: hostile bytes', () => {
  it('random bytes never throw anything but ProtoError and never hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (data) => {
        await fuzzWalk(data);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('mutated valid messages never throw anything but ProtoError', async () => {
    const valid = msg(bytes(9, msg(str(1, 'a'), bytes(9, msg(str(2, 'b'))))), str(3, 'c'), bytes(9, len(0)));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), async (edits) => {
        const data = valid.slice();
        for (const [at, value] of edits) data[at] = value;
        await fuzzWalk(data);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
