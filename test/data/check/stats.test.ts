import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, binomialSf, chi2Sf, chiSquareHomogeneity, jensenShannon, ksTwoSample, psi, wasserstein1 } from '../../../src/data/check/stats.js';

interface Fixture {
  ks: { a: number[]; b: number[]; statistic: number; pValue: number; asymptotic?: boolean }[];
  wasserstein: { a: number[]; b: number[]; distance: number }[];
  chi2: { ref: number[]; cur: number[]; statistic: number; pValue: number }[];
  js: { ref: number[]; cur: number[]; distance: number }[];
  chi2sf: { x: number; dof: number; sf: number }[];
  bh: { p: number[]; adjusted: number[] }[];
  binom: { k: number; n: number; p: number; sf: number }[];
}

// Values from SciPy 1.17.1: see test/fixtures/data/make-stats.py.
const fx = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/data/stats.json'), 'utf8')) as Fixture;
const sorted = (x: number[]): Float64Array => Float64Array.from(x).sort();

describe('drift statistics against SciPy', () => {
  it('two-sample K-S: exact statistic; exact p-value on small samples, Kolmogorov limit on large ones', () => {
    for (const c of fx.ks) {
      const r = ksTwoSample(sorted(c.a), sorted(c.b));
      expect(r.statistic).toBeCloseTo(c.statistic, 12);
      if (c.asymptotic === true) expect(Math.abs(r.pValue - c.pValue)).toBeLessThan(0.02 * Math.max(c.pValue, 0.01));
      else expect(r.pValue).toBeCloseTo(c.pValue, 8);
    }
  });

  it('Wasserstein-1, chi-square homogeneity, chi-square tail, Jensen-Shannon', () => {
    for (const c of fx.wasserstein) expect(wasserstein1(sorted(c.a), sorted(c.b))).toBeCloseTo(c.distance, 10);
    for (const c of fx.chi2) {
      const r = chiSquareHomogeneity(c.ref, c.cur);
      expect(r.statistic).toBeCloseTo(c.statistic, 9);
      expect(r.pValue).toBeCloseTo(c.pValue, 10);
    }
    for (const c of fx.chi2sf) expect(Math.abs(chi2Sf(c.x, c.dof) - c.sf)).toBeLessThan(1e-12 + 1e-9 * c.sf);
    for (const c of fx.js) expect(jensenShannon(c.ref, c.cur)).toBeCloseTo(c.distance, 12);
  });

  it('Benjamini-Hochberg and the binomial tail', () => {
    for (const c of fx.bh) benjaminiHochberg(c.p).forEach((v, i) => expect(v).toBeCloseTo(c.adjusted[i]!, 12));
    for (const c of fx.binom) expect(binomialSf(c.k, c.n, c.p) / c.sf).toBeCloseTo(1, 9);
  });

  it('PSI is zero for equal shares and grows with the shift', () => {
    expect(psi([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 12);
    expect(psi([50, 50], [40, 60])).toBeLessThan(psi([50, 50], [20, 80]));
  });

  it('properties: K-S p-value in [0,1], D symmetric, W1 of a sample with itself is 0', () => {
    const arr = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(arr, arr, (a, b) => {
        const r = ksTwoSample(sorted(a), sorted(b));
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        expect(ksTwoSample(sorted(b), sorted(a)).statistic).toBeCloseTo(r.statistic, 12);
        expect(wasserstein1(sorted(a), sorted(a))).toBe(0);
      }),
    );
  });
});
