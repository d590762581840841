import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, CsvTokenizer, decimalAt, fieldText } from '../../../src/data/check/csv-tokenizer.js';
import { KeyChains } from '../../../src/data/check/key-chains.js';
import { sortFloat64 } from '../../../src/data/check/sort.js';

/** Tokenizes `bytes` fed in pieces cut at `cuts`, returning each record's field texts. */
function tokenize(bytes: Buffer, cuts: number[] = [], delimiter = ','): string[][] {
  const out: string[][] = [];
  const t = new CsvTokenizer({ delimiter, maxRecordBytes: 1 << 20, maxFields: 1000 }, (r) => out.push(Array.from({ length: r.count }, (_, i) => fieldText(r, i))));
  let at = 0;
  for (const c of [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b)) {
    t.push(bytes.subarray(at, c));
    at = c;
  }
  t.push(bytes.subarray(at));
  t.end();
  return out;
}

const reference = (text: string, delimiter = ','): string[][] => parse(text, { delimiter, bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];

const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`;
const cell = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', '1', '.', '-', 'é', '😀'), maxLength: 8 });

describe('CsvTokenizer', () => {
  it('agrees with csv-parse on well-formed files, however the bytes are split into chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), (records, eol, bom, trailing, cuts) => {
        const lines = records.map((r) => r.map((c) => (/[",\r\n]/.test(c) || c === '' ? quote(c) : c)).join(','));
        const text = (bom ? '\ufeff' : '') + lines.join(eol) + (trailing ? eol : '');
        expect(tokenize(Buffer.from(text), cuts)).toEqual(reference(text));
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary text without CR: the same records as csv-parse, or an error where it errs', () => {
    const unit = fc.constantFrom('a', ',', '"', '\n', '1', ' ', '\t');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 4 }), (text, cuts) => {
        let want: string[][] | 'error';
        try {
          want = reference(text);
        } catch {
          want = 'error';
        }
        let got: string[][] | 'error';
        try {
          got = tokenize(Buffer.from(text), cuts);
        } catch (err) {
          expect(err).toBeInstanceOf(CsvSyntaxError);
          got = 'error';
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('TSV and CR-only line ends', () => {
    expect(tokenize(Buffer.from('a\tb\r1\t"x\ty"\r'), [], '\t')).toEqual([
      ['a', 'b'],
      ['1', 'x\ty'],
    ]);
  });

  it('bounds: a record longer than the limit and too many fields are errors, also across chunks', () => {
    const t = new CsvTokenizer({ delimiter: ',', maxRecordBytes: 16, maxFields: 3 }, () => {});
    expect(() => t.push(Buffer.from('"' + 'x'.repeat(40)))).toThrow(/longer than 16 bytes/);
    const u = new CsvTokenizer({ delimiter: ',', maxRecordBytes: 1000, maxFields: 3 }, () => {});
    expect(() => u.push(Buffer.from('a,b,c,d\n'))).toThrow(/more than 3 fields/);
    const v = new CsvTokenizer({ delimiter: ',', maxRecordBytes: 1000, maxFields: 3 }, () => {});
    v.push(Buffer.from('"never closed'));
    expect(() => v.end()).toThrow(/not closed/);
  });
});

describe('decimalAt', () => {
  it('gives exactly what Number() gives for plain decimals, NaN for anything it leaves to the text rules', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 18 });
    fc.assert(
      fc.property(fc.constantFrom('', '-', '+'), digits, fc.boolean(), digits, fc.constantFrom('', 'e5', ' ', 'x'), (sign, a, dot, b, tail) => {
        const s = sign + a + (dot ? '.' : '') + (dot ? b : '') + tail;
        const x = decimalAt(Buffer.from(s), 0, s.length);
        if (!Number.isNaN(x)) expect(Object.is(x, Number(s))).toBe(true);
        const plain = tail === '' && (a + (dot ? b : '')).length > 0 && (a + (dot ? b : '')).length <= 15;
        expect(Number.isNaN(x)).toBe(!plain);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('sortFloat64', () => {
  it('orders like the built-in sort, -0 before +0, on arrays large enough for the radix path', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -0, 1, -1)), { minLength: 5000, maxLength: 6000 }), (xs) => {
        const a = Float64Array.from(xs);
        const want = Float64Array.from(xs).sort();
        const got = sortFloat64(a);
        expect(got).toBe(a);
        for (let i = 0; i < want.length; i++) expect(Object.is(got[i], want[i])).toBe(true);
      }),
      { numRuns: 20 },
    );
  });
});

describe('KeyChains', () => {
  it('groups rows by key like a Map of lists does, in the order added', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(20), fc.constantFrom(2 ** 52 + 1, 2 ** 40, 2 ** 32 + 3, 3)), { maxLength: 300 }), fc.integer({ min: 1, max: 4 }), (keys, min) => {
        const chains = new KeyChains(keys.length);
        const want = new Map<number, number[]>();
        keys.forEach((k, row) => {
          chains.add(k, row);
          want.set(k, [...(want.get(k) ?? []), row]);
        });
        const got: number[][] = [];
        chains.forEachGroup(Math.max(2, min), (rows) => got.push(rows));
        const expected = [...want.values()].filter((r) => r.length >= Math.max(2, min));
        expect(got.sort((a, b) => a[0]! - b[0]!)).toEqual(expected.sort((a, b) => a[0]! - b[0]!));
      }),
    );
  });
});
