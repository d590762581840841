import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allMatches } from '../../src/guard/matches.js';

const PATTERNS = [/a+/g, /\d{2,}/g, /x*/g, /(?:)/gu, /\p{L}*/gu, /(?<=b)c?/g, /[😀é]|$/gu, /^|\s/gm, /(a)|(b)/g];
const same = (re: RegExp, text: string): void => {
  const want = [...text.matchAll(re)].map((m) => ({ index: m.index, groups: [...m] }));
  const got = allMatches(text, re).map((m) => ({ index: m.index, groups: [...m] }));
  expect(got).toEqual(want);
  expect(re.lastIndex).toBe(0);
};

describe('allMatches', () => {
  it('finds what String.prototype.matchAll finds, empty matches and surrogate pairs included (fixed seed)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x', '1', '2', ' ', '\n', 'é', '😀', '\ud800', '\udc00'), maxLength: 60 });
    fc.assert(
      fc.property(text, fc.constantFrom(...PATTERNS), (t, re) => same(re, t)),
      { seed: 11, numRuns: 2000 },
    );
  });

  it('starts from the beginning whatever lastIndex a shared regex was left at, and refuses a non-global regex', () => {
    const re = /b/g;
    re.lastIndex = 5;
    expect(allMatches('abcabc', re).map((m) => m.index)).toEqual([1, 4]);
    expect(() => allMatches('abc', /b/)).toThrow(/global/);
  });
});
