import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Blob } from '../../../../src/model/scan/blob.js';
import { FINDINGS_PER_RULE } from '../../../../src/model/scan/formats/finding-budget.js';
import { scanSafetensors } from '../../../../src/model/scan/formats/safetensors.js';
import { JsonSyntaxError, parseStrictJson } from '../../../../src/model/scan/formats/safetensors-json.js';
import type { ScanLimits } from '../../../../src/model/scan/limits.js';
import { scanBytes, scanWith } from '../support.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/model/safetensors/', import.meta.url));
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(FIXTURES + name));

const enc = new TextEncoder();

/** A safetensors file: u64 LE header length, the header text (space-padded to 8 bytes), then `data`. */
function st(header: string | object, data: Uint8Array | number = 0): Uint8Array {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  text += ' '.repeat((8 - (enc.encode(text).length % 8)) % 8);
  const h = enc.encode(text);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(body, 8 + h.length);
  return out;
}

/** Raw bytes with an explicit header length field. */
function withLength(n: bigint, rest: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + rest.length);
  new DataView(out.buffer).setBigUint64(0, n, true);
  out.set(rest, 8);
  return out;
}

const scan = (bytes: Uint8Array | Blob, limits: Partial<ScanLimits> = {}) => scanWith(scanSafetensors, bytes, limits);

const t = (dtype: string, shape: unknown[], begin: number | string, end: number | string) =>
  `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

describe('safetensors fixtures (scripts/fixtures/safetensors.py)', () => {
  it('a valid file is clean and detected by content', async () => {
    const r = await scanBytes(fixture('valid.safetensors'));
    expect(r.format).toBe('safetensors');
    expect(r.findings).toEqual([]);
  });

  it('flags duplicate keys', async () => {
    const r = await scanBytes(fixture('duplicate-key.safetensors'));
    expect(r.rules).toEqual(['safetensors-duplicate-key']);
    expect(r.findings[0]!.message).toContain('"w"');
  });

  it('flags overlapping tensors', async () => {
    const r = await scanBytes(fixture('overlapping-tensors.safetensors'));
    expect(r.rules).toEqual(['safetensors-overlapping-tensors']);
  });

  it('flags a header length beyond the format limit without reading it', async () => {
    const r = await scanBytes(fixture('header-too-large.safetensors'));
    expect(r.rules).toEqual(['safetensors-header-too-large']);
  });

  it('flags a byte range that does not match shape × dtype', async () => {
    const r = await scanBytes(fixture('size-mismatch.safetensors'));
    expect(r.rules).toEqual(['safetensors-size-mismatch']);
  });

  it('flags an appended zip and hands it to format detection', async () => {
    const r = await scanBytes(fixture('polyglot-zip.safetensors'));
    expect(r.rules).toEqual(['safetensors-trailing-data']);
  });
});

describe('safetensors header length', () => {
  it('flags a length pointing past the end of the file', async () => {
    const r = await scan(withLength(1000n, enc.encode('{}')));
    expect(r.rules).toEqual(['safetensors-header-out-of-bounds']);
  });

  it('flags a length too small for {}', async () => {
    expect((await scan(withLength(1n, enc.encode('{}')))).rules).toEqual(['safetensors-invalid-header']);
    expect((await scan(withLength(0n, enc.encode('{}')))).rules).toEqual(['safetensors-invalid-header']);
  });

  it('flags a file shorter than the length field', async () => {
    expect((await scan(new Uint8Array(5))).rules).toEqual(['safetensors-invalid-header']);
  });

  it('flags 2^64 - 1 as too large', async () => {
    expect((await scan(withLength(2n ** 64n - 1n, enc.encode('{}')))).rules).toEqual(['safetensors-header-too-large']);
  });

  it('reports a header over the configured limit but within the format limit as not analysed, not as an attack', async () => {
    const r = await scan(st({ a: JSON.parse(t('U8', [4], 0, 4)) }, 4), { maxMetadataBytes: 16 });
    expect(r.rules).toEqual(['scan-incomplete']);
  });

  it('accepts the smallest valid file', async () => {
    expect((await scan(st('{}'))).findings).toEqual([]);
  });
});

describe('safetensors header JSON', () => {
  const invalid = async (header: Uint8Array): Promise<string[]> => (await scan(withLength(BigInt(header.length), header))).rules;

  it.each([
    ['not UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
    ['a trailing comma', enc.encode('{"a":1,}')],
    ['an array', enc.encode('[1,2]')],
    ['single quotes', enc.encode("{'a':1}")],
    ['NUL padding', enc.encode('{}\0\0\0\0\0\0')],
    ['a byte-order mark', enc.encode('\ufeff{}')],
    ['a lone surrogate escape', enc.encode('{"\\ud800":{}}')],
    ['two values', enc.encode('{}{}')],
    ['a raw control character in a string', enc.encode('{"a\nb":{}}')],
    ['NaN', enc.encode('{"a":NaN}')],
  ])('flags a header with %s', async (_what, header) => {
    expect(await invalid(header)).toEqual(['safetensors-invalid-header']);
  });

  it('flags nesting deeper than serde_json accepts, without exhausting the stack', async () => {
    const deep = enc.encode('{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}');
    expect(await invalid(deep)).toEqual(['safetensors-invalid-header']);
  });

  it('flags a header that does not start with { but still checks it', async () => {
    const r = await scan(st(' {"w":' + t('U8', [2], 0, 3) + '}', 3));
    expect(r.rules).toEqual(['safetensors-invalid-header', 'safetensors-size-mismatch']);
  });

  it('accepts JSON whitespace padding and escapes', async () => {
    const r = await scan(st('{\n\t"w\\u00e9\\n" : ' + t('U8', [2], 0, 2) + ' }\r\n   ', 2));
    expect(r.findings).toEqual([]);
  });

  it('flags duplicates inside a tensor entry too', async () => {
    const r = await scan(st('{"w":{"dtype":"U8","dtype":"F32","shape":[2],"data_offsets":[0,2]}}', 2));
    expect(r.rules).toContain('safetensors-duplicate-key');
  });

  it('treats keys spelled with escapes as the same key, as the loader does', async () => {
    const r = await scan(st('{"w":' + t('U8', [1], 0, 1) + ',"\\u0077":' + t('U8', [1], 1, 2) + '}', 2));
    expect(r.rules).toEqual(['safetensors-duplicate-key']);
  });

  it('keeps a __proto__ tensor name as data', async () => {
    const r = await scan(st('{"__proto__":' + t('U8', [2], 0, 2) + '}', 2));
    expect(r.findings).toEqual([]);
  });
});

describe('safetensors tensor entries', () => {
  const one = (entry: string, data = 16) => scan(st(`{"w":${entry}}`, data));

  it('accepts every dtype of the current format, sub-byte ones included', async () => {
    const entries = [
      ['F4', [4], 2],
      ['F6_E2M3', [4], 3],
      ['F6_E3M2', [8], 6],
      ['F8_E8M0', [3], 3],
      ['F8_E4M3FNUZ', [2], 2],
      ['C64', [2], 16],
      ['BF16', [3], 6],
      ['U64', [1], 8],
      ['BOOL', [], 1],
    ] as const;
    let off = 0;
    const header: Record<string, unknown> = {};
    for (const [dtype, shape, size] of entries) {
      header[dtype] = { dtype, shape, data_offsets: [off, off + size] };
      off += size;
    }
    expect((await scan(st(header, off))).findings).toEqual([]);
  });

  it('accepts zero-size and scalar tensors', async () => {
    const r = await scan(st('{"e":' + t('F32', [0, 1024], 0, 0) + ',"s":' + t('F64', [], 0, 8) + '}', 8));
    expect(r.findings).toEqual([]);
  });

  it('accepts tensors listed in any order', async () => {
    const header = '{"c":' + t('U8', [4], 8, 12) + ',"a":' + t('U8', [4], 0, 4) + ',"__metadata__":{"k":"v"},"b":' + t('U8', [4], 4, 8) + '}';
    expect((await scan(st(header, 12))).findings).toEqual([]);
  });

  it('flags an unknown dtype', async () => {
    expect((await one(t('F128', [1], 0, 16))).rules).toEqual(['safetensors-unknown-dtype']);
  });

  it.each([
    ['negative', [-1]],
    ['fractional', [1.5]],
    ['written as a float', ['4.0']],
    ['written with an exponent', ['1e1']],
    ['a string', ['"4"']],
  ])('flags a %s dimension', async (_what, shape) => {
    const entry = `{"dtype":"U8","shape":[${shape.join(',')}],"data_offsets":[0,16]}`;
    expect((await one(entry)).rules).toEqual(['safetensors-invalid-shape']);
  });

  it('flags a shape whose size overflows 64 bits', async () => {
    expect((await one(t('F32', [2 ** 32, 2 ** 32], 0, 16))).rules).toEqual(['safetensors-shape-overflow']);
  });

  it('flags an overflow that a later zero dimension would hide, as the reference reader does', async () => {
    const entry = `{"dtype":"U8","shape":[4294967296,4294967296,4294967296,0],"data_offsets":[0,0]}`;
    expect((await one(entry, 0)).rules).toEqual(['safetensors-shape-overflow']);
  });

  it('flags a sub-byte tensor that ends inside a byte', async () => {
    expect((await one(t('F4', [3], 0, 2), 2)).rules).toEqual(['safetensors-size-mismatch']);
  });

  it.each([
    ['past the data buffer', [0, 64]],
    ['reversed', [8, 4]],
    ['negative', [-8, 8]],
    ['fractional', [0.5, 16]],
    ['beyond 2^64', ['18446744073709551616', '18446744073709551632']],
  ])('flags offsets %s', async (_what, [b, e]) => {
    expect((await one(t('U8', [16], b!, e!))).rules).toContain('safetensors-offsets-out-of-range');
  });

  it.each([
    ['not an object', '[1,2]'],
    ['missing dtype', '{"shape":[16],"data_offsets":[0,16]}'],
    ['three offsets', '{"dtype":"U8","shape":[16],"data_offsets":[0,8,16]}'],
    ['a string shape', '{"dtype":"U8","shape":"16","data_offsets":[0,16]}'],
  ])('flags an entry that is %s', async (_what, entry) => {
    expect((await one(entry)).rules).toContain('safetensors-bad-tensor-entry');
  });

  it('flags __metadata__ values that are not strings, and a __metadata__ that is not an object', async () => {
    const nested = await scan(st('{"__metadata__":{"a":"b","n":1,"o":{"x":"y"}}}'));
    expect(nested.rules).toEqual(['safetensors-bad-metadata']);
    expect(nested.findings[0]!.message).toContain('"n", "o"');
    expect((await scan(st('{"__metadata__":"x"}'))).rules).toEqual(['safetensors-bad-metadata']);
  });
});

describe('safetensors coverage of the data buffer', () => {
  it('flags a gap between tensors', async () => {
    const r = await scan(st('{"a":' + t('U8', [4], 0, 4) + ',"b":' + t('U8', [4], 8, 12) + '}', 12));
    expect(r.rules).toEqual(['safetensors-data-gap']);
    expect(r.findings[0]!.message).toContain('[4, 8)');
  });

  it('flags data before the first tensor', async () => {
    expect((await scan(st('{"a":' + t('U8', [4], 4, 8) + '}', 8))).rules).toEqual(['safetensors-data-gap']);
  });

  it('flags bytes after the last tensor and scans them as a file', async () => {
    const pickle = new Uint8Array([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);
    const body = new Uint8Array(4 + pickle.length);
    body.set(pickle, 4);
    const r = await scan(st('{"a":' + t('U8', [4], 0, 4) + '}', body));
    expect(r.rules).toEqual(['safetensors-trailing-data']);
  });

  it('finds a malicious pickle appended to a valid file (polyglot)', async () => {
    const pickle = Uint8Array.from([0x80, 0x02, ...enc.encode('cos\nsystem\nX'), 2, 0, 0, 0, ...enc.encode('id'), 0x85, 0x52, 0x2e]);
    const valid = st('{"a":' + t('U8', [4], 0, 4) + '}', 4);
    const polyglot = new Uint8Array(valid.length + pickle.length);
    polyglot.set(valid);
    polyglot.set(pickle, valid.length);
    const r = await scan(polyglot);
    expect(r.rules).toContain('safetensors-trailing-data');
    expect(r.rules).toContain('pickle-dangerous-global');
    expect(r.findings.find((f) => f.rule === 'pickle-dangerous-global')!.location.member).toMatch(/data after the last tensor/);
  });

  it('reports a truncated file once, as offsets past the buffer, not also as uncovered bytes', async () => {
    const whole = st('{"a":' + t('U8', [4], 0, 4) + ',"b":' + t('U8', [64], 4, 68) + '}', 68);
    expect((await scan(whole.subarray(0, whole.length - 20))).rules).toEqual(['safetensors-offsets-out-of-range']);
  });

  it('flags a data buffer that no tensor covers', async () => {
    expect((await scan(st('{}', 16))).rules).toEqual(['safetensors-trailing-data']);
  });

  it('flags partial overlaps and containment', async () => {
    const header = '{"a":' + t('U8', [8], 0, 8) + ',"b":' + t('U8', [8], 4, 12) + ',"c":' + t('U8', [2], 1, 3) + '}';
    const r = await scan(st(header, 12));
    expect(r.rules).toEqual(['safetensors-overlapping-tensors']);
    expect(r.findings).toHaveLength(2);
  });

  it('caps findings per rule and reports how many were left out', async () => {
    const entries = Array.from({ length: 100 }, (_, i) => `"t${i}":${t('F128', [1], i, i + 1)}`);
    const r = await scan(st(`{${entries.join(',')}}`, 100));
    const unknown = r.findings.filter((f) => f.rule === 'safetensors-unknown-dtype');
    expect(unknown).toHaveLength(FINDINGS_PER_RULE + 1);
    expect(unknown.at(-1)!.message).toContain(`${100 - FINDINGS_PER_RULE} more`);
  });
});

/** A blob of `size` bytes whose first bytes are `head` and the rest zeros; counts what is read. */
class SparseBlob implements Blob {
  bytesRead = 0;
  reads = 0;
  constructor(
    private readonly head: Uint8Array,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    this.bytesRead += n;
    this.reads++;
    const out = new Uint8Array(n);
    if (offset < this.head.length) out.set(this.head.subarray(offset, offset + n));
    return out;
  }
}

describe('safetensors performance', () => {
  it('costs what the header costs on a 64 GiB file', async () => {
    const tensorBytes = 2 ** 36;
    const head = st({ __metadata__: { format: 'pt' }, big: { dtype: 'U8', shape: [tensorBytes], data_offsets: [0, tensorBytes] } });
    const blob = new SparseBlob(head, head.length + tensorBytes);
    const r = await scan(blob);
    expect(r.findings).toEqual([]);
    expect(blob.bytesRead).toBeLessThanOrEqual(head.length + 8);
    expect(blob.reads).toBeLessThanOrEqual(2);
  });

  it('parses a header with 50,000 tensors quickly', async () => {
    const entries: string[] = [];
    for (let i = 0; i < 50_000; i++) entries.push(`"model.layers.${i}.weight":${t('F16', [2, 2], i * 8, i * 8 + 8)}`);
    const bytes = st(`{${entries.join(',')}}`, 50_000 * 8);
    const started = performance.now();
    const r = await scan(bytes);
    expect(r.findings).toEqual([]);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('safetensors-json', () => {
  it('keeps numbers as written and reports duplicate paths', () => {
    const { value, duplicates } = parseStrictJson(enc.encode('{"a":{"n":18446744073709551615,"n":1}}'));
    expect(JSON.stringify(value)).toContain('18446744073709551615');
    expect(duplicates).toEqual([{ path: 'a', key: 'n', offset: 31 }]);
  });

  it('throws JsonSyntaxError with the offset', () => {
    expect(() => parseStrictJson(enc.encode('{"a":01}'))).toThrow(JsonSyntaxError);
  });
});

describe('safetensors robustness (property)', () => {
  const valid = fixture('valid.safetensors');

  it('never throws on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        await scan(bytes);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('never throws on mutations of a valid file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(valid.length),
        async (edits, cut) => {
          const bytes = valid.slice(0, Math.max(cut, 8));
          for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
          const r = await scan(bytes);
          expect(r.format).toBe('safetensors');
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });

  it('never throws on headers built from JSON-ish fragments', async () => {
    const piece = fc.constantFrom('{', '}', '[', ']', ',', ':', '"w"', '"dtype"', '"F32"', '"shape"', '"data_offsets"', '0', '8', '-1', '1e99', ' ', '"__metadata__"');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), fc.nat(64), async (pieces, data) => {
        await scan(st(pieces.join(''), data));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
