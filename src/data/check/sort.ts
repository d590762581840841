/**
 * Sorting a million-number column for K-S and Wasserstein: an LSD radix sort over the IEEE 754 bits (six passes
 * of 11 bits, so the counts stay in the L1 cache), several times faster than the built-in comparison sort at that size. The order is the built-in
 * sort's: -Infinity < … < -0 < +0 < … < Infinity (NaN is not expected: the columns keep only finite numbers).
 */
const SMALL = 4096;

/** Sorts `a` in place in ascending order and returns it. */
export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < SMALL) return a.sort();
  const words = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  // Each number as an unsigned 64-bit key (hi, lo) that orders like the number: flip every bit of negatives,
  // only the sign bit of the rest.
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1]!;
    const l = words[2 * i]!;
    const neg = h >>> 31 === 1;
    hi[i] = neg ? ~h >>> 0 : (h | 0x80000000) >>> 0;
    lo[i] = neg ? ~l >>> 0 : l;
  }
  let hi2 = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  const count = new Int32Array(2048);
  for (let pass = 0; pass < 6; pass++) {
    const src = pass < 3 ? lo : hi;
    const shift = (pass % 3) * 11;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i]! >>> shift) & 0x7ff]!++;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const j = count[(src[i]! >>> shift) & 0x7ff]!++;
      hi2[j] = hi[i]!;
      lo2[j] = lo[i]!;
    }
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
  }
  for (let i = 0; i < n; i++) {
    const h = hi[i]!;
    const neg = h >>> 31 === 0;
    words[2 * i + 1] = neg ? ~h >>> 0 : (h & 0x7fffffff) >>> 0;
    words[2 * i] = neg ? ~lo[i]! >>> 0 : lo[i]!;
  }
  return a;
}
