/**
 * How far the normed Wasserstein distance (the K-S drift effect of `data check`) moves between two samples of one
 * distribution, by sample size: the basis of the noise floor in src/data/check/drift.ts (KS_NOISE).
 *
 *   npx tsx bench/data-drift-noise.ts [--pairs 2000]
 *
 * Prints, for each size, the mean and the 99th and 99.9th percentiles of W1/sd divided by √(1/n + 1/m).
 */
import { parseArgs } from 'node:util';
import { rng } from '../src/data/check/poison.js';
import { normal } from '../test/support/data-check-gen.js';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '2000' } } });
const pairs = Number(values.pairs);
const random = rng(7);

/** W1 between two equal-size samples is the mean gap between their sorted values. */
function w1(a: Float64Array, b: Float64Array): number {
  a.sort();
  b.sort();
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

console.log('| rows in each sample | pairs | mean | p99 | p99.9 |');
console.log('|---|---|---|---|---|');
for (const n of [500, 2000, 20000]) {
  const scaled: number[] = [];
  for (let t = 0; t < pairs; t++) {
    const a = Float64Array.from({ length: n }, () => normal(random));
    const b = Float64Array.from({ length: n }, () => normal(random));
    scaled.push(w1(a, b) / Math.sqrt(2 / n));
  }
  scaled.sort((x, y) => x - y);
  const at = (p: number): string => scaled[Math.min(pairs - 1, Math.floor(p * pairs))]!.toFixed(2);
  console.log(`| ${n} | ${pairs} | ${(scaled.reduce((s, x) => s + x, 0) / pairs).toFixed(2)} | ${at(0.99)} | ${at(0.999)} |`);
}
