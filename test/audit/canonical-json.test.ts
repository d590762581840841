import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEntryBytes, canonicalJson, canonicalJsonBytes, DEFAULT_JSON_MAX_DEPTH } from '../../src/audit/canonical-json.js';
import type { NoteErrorCode } from '../../src/audit/note-errors.js';
import { codeOf } from '../support/error-code.js';

/*
 * Test data from https://github.com/cyberphone/json-canonicalization (Anders Rundgren, the RFC 8785 author;
 * Apache-2.0) at commit 19d51d7fe467d4706a3ff08adf8a748f29fc21e0: testdata/input/*.json verbatim, with the expected
 * canonical bytes from testdata/outhex/*.txt (checked equal to testdata/output/*.json when copied). `values` is the
 * RFC 8785 §3.2.2 example; `weird` is the §3.2.3 sorting example.
 */
const TESTDATA: ReadonlyArray<{ name: string; input: string; outhex: string }> = [
  { name: 'arrays', input: "[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n    \"1\": [ ]\n  }\n]\n", outhex: '5b35362c7b2231223a5b5d2c223130223a6e756c6c2c2264223a747275657d5d' },
  { name: 'french', input: "{\n  \"peach\": \"This sorting order\",\n  \"p\u00e9ch\u00e9\": \"is wrong according to French\",\n  \"p\u00eache\": \"but canonicalization MUST\",\n  \"sin\":   \"ignore locale\"\n}\n", outhex: '7b227065616368223a225468697320736f7274696e67206f72646572222c2270c3a96368c3a9223a2269732077726f6e67206163636f7264696e6720746f204672656e6368222c2270c3aa636865223a226275742063616e6f6e6963616c697a6174696f6e204d555354222c2273696e223a2269676e6f7265206c6f63616c65227d' },
  { name: 'structures', input: "{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56.0},\n  \"10\": { },\n  \"\": \"empty\",\n  \"a\": { },\n  \"111\": [ {\"e\": \"yes\",\"E\": \"no\" } ],\n  \"A\": { }\n}", outhex: '7b22223a22656d707479222c2231223a7b225c6e223a35362c2266223a7b2246223a352c2266223a226869227d7d2c223130223a7b7d2c22313131223a5b7b2245223a226e6f222c2265223a22796573227d5d2c2241223a7b7d2c2261223a7b7d7d' },
  { name: 'unicode', input: "{\n  \"Unnormalized Unicode\":\"A\\u030a\"\n}\n", outhex: '7b22556e6e6f726d616c697a656420556e69636f6465223a2241cc8a227d' },
  { name: 'values', input: "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}", outhex: '7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d' },
  { name: 'weird', input: "{\n  \"\\u20ac\": \"Euro Sign\",\n  \"\\r\": \"Carriage Return\",\n  \"\\u000a\": \"Newline\",\n  \"1\": \"One\",\n  \"\\u0080\": \"Control\\u007f\",\n  \"\\ud83d\\ude02\": \"Smiley\",\n  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\",\n  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n  \"</script>\": \"Browser Challenge\"\n}\n", outhex: '7b225c6e223a224e65776c696e65222c225c72223a2243617272696167652052657475726e222c2231223a224f6e65222c223c2f7363726970743e223a2242726f77736572204368616c6c656e6765222c22c280223a22436f6e74726f6c7f222c22c3b6223a224c6174696e20536d616c6c204c6574746572204f205769746820446961657265736973222c22e282ac223a224575726f205369676e222c22f09f9882223a22536d696c6579222c22efacb3223a22486562726577204c65747465722044616c6574205769746820446167657368227d' },
];


/*
 * The first entries of the ES6 number test sequence, same source: testdata/numgen.js / numgen.go generate
 * `<hex of the IEEE-754 bits>,<expected canonical number>\n` lines from these fixed values, then 2000 subnormal-edge
 * values, then doubles drawn from a SHA-256 chain. testdata/README.md publishes the SHA-256 of the first N lines.
 */
const NUMGEN_STATIC = [
  '0000000000000000', '8000000000000000', '0000000000000001', '8000000000000001', 'c46696695dbd1cc3', 'c43211ede4974a35',
  'c3fce97ca0f21056', 'c3c7213080c1a6ac', 'c39280f39a348556', 'c35d9b1f5d20d557', 'c327af4c4a80aaac', 'c2f2f2a36ecd5556',
  'c2be51057e155558', 'c28840d131aaaaac', 'c253670dc1555557', 'c21f0b4935555557', 'c1e8d5d42aaaaaac', 'c1b3de4355555556',
  'c17fca0555555556', 'c1496e6aaaaaaaab', 'c114585555555555', 'c0e046aaaaaaaaab', 'c0aa0aaaaaaaaaaa', 'c074d55555555555',
  'c040aaaaaaaaaaab', 'c00aaaaaaaaaaaab', 'bfd5555555555555', 'bfa1111111111111', 'bf6b4e81b4e81b4f', 'bf35d867c3ece2a5',
  'bf0179ec9cbd821e', 'becbf647612f3696', 'be965e9f80f29212', 'be61e54c672874db', 'be2ca213d840baf8', 'bdf6e80fe033c8c6',
  'bdc2533fe68fd3d2', 'bd8d51ffd74c861c', 'bd5774ccac3d3817', 'bd22c3d6f030f9ac', 'bcee0624b3818f79', 'bcb804ea293472c7',
  'bc833721ba905bd3', 'bc4ebe9c5db3c61e', 'bc18987d17c304e5', 'bbe3ad30dfcf371d', 'bbaf7b816618582f', 'bb792f9ab81379bf',
  'bb442615600f9499', 'bb101e77800c76e1', 'bad9ca58cce0be35', 'baa4a1e0a3e6fe90', 'ba708180831f320d', 'ba3a68cd9e985016',
  '446696695dbd1cc3', '443211ede4974a35', '43fce97ca0f21056', '43c7213080c1a6ac', '439280f39a348556', '435d9b1f5d20d557',
  '4327af4c4a80aaac', '42f2f2a36ecd5556', '42be51057e155558', '428840d131aaaaac', '4253670dc1555557', '421f0b4935555557',
  '41e8d5d42aaaaaac', '41b3de4355555556', '417fca0555555556', '41496e6aaaaaaaab', '4114585555555555', '40e046aaaaaaaaab',
  '40aa0aaaaaaaaaaa', '4074d55555555555', '4040aaaaaaaaaaab', '400aaaaaaaaaaaab', '3fd5555555555555', '3fa1111111111111',
  '3f6b4e81b4e81b4f', '3f35d867c3ece2a5', '3f0179ec9cbd821e', '3ecbf647612f3696', '3e965e9f80f29212', '3e61e54c672874db',
  '3e2ca213d840baf8', '3df6e80fe033c8c6', '3dc2533fe68fd3d2', '3d8d51ffd74c861c', '3d5774ccac3d3817', '3d22c3d6f030f9ac',
  '3cee0624b3818f79', '3cb804ea293472c7', '3c833721ba905bd3', '3c4ebe9c5db3c61e', '3c18987d17c304e5', '3be3ad30dfcf371d',
  '3baf7b816618582f', '3b792f9ab81379bf', '3b442615600f9499', '3b101e77800c76e1', '3ad9ca58cce0be35', '3aa4a1e0a3e6fe90',
  '3a708180831f320d', '3a3a68cd9e985016', '4024000000000000', '4014000000000000', '3fe0000000000000', '3fa999999999999a',
  '3f747ae147ae147b', '3f40624dd2f1a9fc', '3f0a36e2eb1c432d', '3ed4f8b588e368f1', '3ea0c6f7a0b5ed8d', '3e6ad7f29abcaf48',
  '3e35798ee2308c3a', '3ed539223589fa95', '3ed4ff26cd5a7781', '3ed4f95a762283ff', '3ed4f8c60703520c', '3ed4f8b72f19cd0d',
  '3ed4f8b5b31c0c8d', '3ed4f8b58d1c461a', '3ed4f8b5894f7f0e', '3ed4f8b588ee37f3', '3ed4f8b588e47da4', '3ed4f8b588e3849c',
  '3ed4f8b588e36bb5', '3ed4f8b588e36937', '3ed4f8b588e368f8', '3ed4f8b588e368f1', '3ff0000000000000', 'bff0000000000000',
  'bfeffffffffffffa', 'bfeffffffffffffb', '3feffffffffffffa', '3feffffffffffffb', '3feffffffffffffc', '3feffffffffffffe',
  'bfefffffffffffff', 'bfefffffffffffff', '3fefffffffffffff', '3fefffffffffffff', '3fd3333333333332', '3fd3333333333333',
  '3fd3333333333334', '0010000000000000', '000ffffffffffffd', '000fffffffffffff', '7fefffffffffffff', 'ffefffffffffffff',
  '4340000000000000', 'c340000000000000', '4430000000000000', '44b52d02c7e14af5', '44b52d02c7e14af6', '44b52d02c7e14af7',
  '444b1ae4d6e2ef4e', '444b1ae4d6e2ef4f', '444b1ae4d6e2ef50', '3eb0c6f7a0b5ed8c', '3eb0c6f7a0b5ed8d', '41b3de4355555553',
  '41b3de4355555554', '41b3de4355555555', '41b3de4355555556', '41b3de4355555557', 'becbf647612f3696', '43143ff3c1cb0959',
];

/** RFC 8785 Appendix B: IEEE-754 bits and their canonical JSON numbers (NaN and Infinity have none). */
const APPENDIX_B: ReadonlyArray<[string, string]> = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
];

const double = (hex: string): number => Buffer.from(hex, 'hex').readDoubleBE(0);


/** Yields the IEEE-754 bit patterns of the numgen sequence (numgen.go `generator`). */
function* numgen(): Generator<bigint> {
  for (const hex of NUMGEN_STATIC) yield BigInt(`0x${hex}`);
  for (let i = 0n; i < 2000n; i++) yield 0x0010000000000000n + i;
  let block = Buffer.alloc(32);
  for (;;) {
    block = createHash('sha256').update(block).digest();
    for (let o = 0; o < 32; o += 8) {
      const f = block.readDoubleLE(o);
      if (f !== 0 && Number.isFinite(f)) yield block.readBigUInt64LE(o);
    }
  }
}

/** Independent reference: sort keys, then let JSON.stringify do the rest (valid only for plain JSON data). */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const rec = value as Record<string, unknown>;
    return `{${Object.keys(rec).sort().map((k) => `${JSON.stringify(k)}:${reference(rec[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('canonicalJson', () => {
  it.each(TESTDATA.map((t) => [t.name, t] as const))('matches the published canonical bytes for testdata/%s', (_name, t) => {
    const bytes = canonicalJsonBytes(JSON.parse(t.input));
    expect(Buffer.from(bytes).toString('hex')).toBe(t.outhex);
    expect(canonicalJson(JSON.parse(t.input))).toBe(Buffer.from(t.outhex, 'hex').toString('utf8'));
  });

  it('serializes the RFC 8785 Appendix B numbers', () => {
    for (const [hex, text] of APPENDIX_B) expect(canonicalJson(double(hex)), hex).toBe(text);
    for (const hex of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) expect(codeOf(() => canonicalJson(double(hex))), hex).toBe('AUDIT_JSON_NON_FINITE_NUMBER');
  });

  it('reproduces the published SHA-256 of the first 100,000 lines of the ES6 number test file', () => {
    const published = new Map([
      [1_000, 'be18b62b6f69cdab33a7e0dae0d9cfa869fda80ddc712221570f9f40a5878687'],
      [10_000, 'b9f7a8e75ef22a835685a52ccba7f7d6bdc99e34b010992cbc5864cd12be6892'],
      [100_000, '22776e6d4b49fa294a0d0f349268e5c28808fe7e0cb2bcbe28f63894e494d4c7'],
    ]);
    const hash = createHash('sha256');
    const bits = Buffer.alloc(8);
    let n = 0;
    for (const u of numgen()) {
      bits.writeBigUInt64BE(u);
      hash.update(`${u.toString(16)},${canonicalJson(bits.readDoubleBE(0))}\n`);
      const want = published.get(++n);
      if (want !== undefined) expect(hash.copy().digest('hex'), `${n} lines`).toBe(want);
      if (n === 100_000) break;
    }
  });

  it('sorts keys by UTF-16 code units, not code points or locale', () => {
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33 in UTF-16 although its code point is larger.
    expect(canonicalJson({ '\ufb33': 1, '\u{1F600}': 2, a: 3, A: 4, '': 5, é: 6, '10': 7, '9': 8 })).toBe('{"":5,"10":7,"9":8,"A":4,"a":3,"é":6,"\u{1F600}":2,"\ufb33":1}');
    expect(canonicalJson({ b: { d: 1, c: [{ f: 1, e: 2 }] }, a: null })).toBe('{"a":null,"b":{"c":[{"e":2,"f":1}],"d":1}}');
  });

  it('writes literals, -0, escapes and non-ASCII text as RFC 8785 §3.2.2 requires', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(false)).toBe('false');
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson([1, -0, 0.1, 1e21, 1e-7, 123456789012345680000])).toBe('[1,0,0.1,1e+21,1e-7,123456789012345680000]');
    expect(canonicalJson('\u0000\b\t\n\f\r\u001f"\\/\u007f\u2028\u{1F600}é')).toBe('"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\u007f\u2028\u{1F600}é"');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson(Object.assign(Object.create(null) as object, { b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
    expect(Buffer.from(canonicalJsonBytes({ 'é': '\u{1F600}' })).toString('hex')).toBe('7b22c3a9223a22f09f9880227d');
  });

  it('rejects what is not JSON data with a typed error', () => {
    class Point {
      x = 1;
    }
    const cases: Array<[unknown, NoteErrorCode]> = [
      [undefined, 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [() => 1, 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [1n, 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [Symbol('s'), 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [{ a: undefined }, 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [[1, undefined], 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [[1, , 3], 'AUDIT_JSON_UNSUPPORTED_TYPE'], // eslint-disable-line no-sparse-arrays
      [{ a: { b: [10n] } }, 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [{ toJSON: () => 'x' }, 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [new Date(0), 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [new Map([['a', 1]]), 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [new Set([1]), 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [new Uint8Array([1]), 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [new Point(), 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [Object('boxed'), 'AUDIT_JSON_UNSUPPORTED_TYPE'],
      [Number.NaN, 'AUDIT_JSON_NON_FINITE_NUMBER'],
      [[Number.POSITIVE_INFINITY], 'AUDIT_JSON_NON_FINITE_NUMBER'],
      [{ x: Number.NEGATIVE_INFINITY }, 'AUDIT_JSON_NON_FINITE_NUMBER'],
      ['\ud800', 'AUDIT_JSON_LONE_SURROGATE'],
      ['a\udc00b', 'AUDIT_JSON_LONE_SURROGATE'],
      [{ ['\ud83d']: 1 }, 'AUDIT_JSON_LONE_SURROGATE'],
      [['\ude00\ud83d'], 'AUDIT_JSON_LONE_SURROGATE'],
    ];
    cases.forEach(([value, code], i) => expect(codeOf(() => canonicalJson(value)), `case ${i}`).toBe(code));
  });

  it('skips symbol-keyed and non-enumerable properties, as JSON does', () => {
    const v: Record<string | symbol, unknown> = { a: 1, [Symbol('hidden')]: 2 };
    Object.defineProperty(v, 'b', { value: 3, enumerable: false });
    expect(canonicalJson(v)).toBe('{"a":1}');
  });

  it('bounds nesting depth and detects cycles, but allows shared references', () => {
    expect(DEFAULT_JSON_MAX_DEPTH).toBe(64);
    const nest = (n: number): unknown => {
      let v: unknown = 0;
      for (let i = 1; i <= n; i++) v = i % 2 ? [v] : { k: v };
      return v;
    };
    expect(codeOf(() => canonicalJson(nest(64)))).toBe('none');
    expect(codeOf(() => canonicalJson(nest(65)))).toBe('AUDIT_JSON_TOO_DEEP');
    expect(codeOf(() => canonicalJson(nest(3), { maxDepth: 2 }))).toBe('AUDIT_JSON_TOO_DEEP');
    expect(codeOf(() => canonicalJson(nest(100_000)))).toBe('AUDIT_JSON_TOO_DEEP');
    const obj: Record<string, unknown> = { a: 1 };
    obj.self = obj;
    expect(codeOf(() => canonicalJson(obj))).toBe('AUDIT_JSON_CYCLE');
    const arr: unknown[] = [1];
    arr.push({ back: arr });
    expect(codeOf(() => canonicalJson(arr))).toBe('AUDIT_JSON_CYCLE');
    const shared = { s: [1] };
    expect(canonicalJson({ x: shared, y: shared, z: [shared, shared] })).toBe('{"x":{"s":[1]},"y":{"s":[1]},"z":[{"s":[1]},{"s":[1]}]}');
  });

  it('is idempotent through JSON.parse and agrees with a sort-then-stringify reference (fixed seed)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), (x) => {
        const c = canonicalJson(x);
        expect(canonicalJson(JSON.parse(c))).toBe(c);
        expect(c).toBe(reference(x));
        expect(Buffer.from(canonicalJsonBytes(x)).toString('utf8')).toBe(c);
      }),
      { seed: 8785, numRuns: 1000 },
    );
  });

  it('sorts objects of any size alike: small ones in place, large ones (over 32 keys) by sort (fixed seed)', () => {
    const entries = fc.uniqueArray(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.integer()), { selector: ([k]) => k, minLength: 0, maxLength: 70 });
    fc.assert(
      fc.property(entries, (list) => {
        const forward = Object.fromEntries(list);
        expect(canonicalJson(forward)).toBe(reference(forward));
        expect(canonicalJson(Object.fromEntries([...list].reverse()))).toBe(reference(forward));
      }),
      { seed: 3240, numRuns: 400 },
    );
  });

  it('writes an audit entry as the canonical form of its five-key object, failing alike on bad input (fixed seed)', () => {
    const field = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('gateway.request', 'apikey:4fc61f61a64a', 'model:chat', '2026-11-24T01:38:38.352Z'));
    const entry = fc.record({ type: field, actor: field, subject: field, time: field, data: fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' })) });
    const outcome = (f: () => Uint8Array): string => {
      const code = codeOf(f);
      return code === 'none' ? Buffer.from(f()).toString('hex') : code;
    };
    fc.assert(
      fc.property(entry, (e) => {
        expect(outcome(() => canonicalEntryBytes(e))).toBe(outcome(() => canonicalJsonBytes({ ...e })));
      }),
      { seed: 9162, numRuns: 1000 },
    );
    const nest = (n: number): unknown => (n === 0 ? 0 : { k: nest(n - 1) });
    const at = (depth: number) => ({ type: 'a.b', actor: 'os:x', subject: 'model:m', time: 't', data: nest(depth) as Record<string, unknown> });
    expect(codeOf(() => canonicalEntryBytes(at(63)))).toBe('none');
    expect(codeOf(() => canonicalEntryBytes(at(64)))).toBe('AUDIT_JSON_TOO_DEEP');
    expect(codeOf(() => canonicalJsonBytes(at(64)))).toBe('AUDIT_JSON_TOO_DEEP');
    expect(codeOf(() => canonicalEntryBytes({ ...at(1), actor: 7 as unknown as string }))).toBe('AUDIT_JSON_UNSUPPORTED_TYPE');
  });

  it('ignores property order and whitespace of the source text (fixed seed)', () => {
    const entries = fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })), { selector: ([k]) => k, maxLength: 8 });
    fc.assert(
      fc.property(entries, (list) => {
        const forward = Object.fromEntries(list);
        const backward = Object.fromEntries([...list].reverse());
        expect(canonicalJson(backward)).toBe(canonicalJson(forward));
        expect(canonicalJson(JSON.parse(JSON.stringify(forward, null, 2)))).toBe(canonicalJson(forward));
      }),
      { seed: 3339, numRuns: 500 },
    );
  });
});
