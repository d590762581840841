/**
 * Hashed n-gram features of normalized text: character n-grams (lengths `CHAR_MIN`..`CHAR_MAX`, over the text padded
 * with one space each side so word edges count) and word unigrams and bigrams. Each occurrence adds one to its bucket;
 * the model divides by √(occurrences).
 *
 * Features are grouped by the block (`block` characters) their first character falls in, so overlapping windows
 * (each a run of whole blocks) share the work: every character is hashed once however many windows hold it.
 *
 * Trade-off: hashing lets colliding n-grams share a weight; with 2^18 buckets that costs little (bench/RESULTS.md)
 * and keeps the shipped model small.
 */
export const CHAR_MIN = 2;
export const CHAR_MAX = 5;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD_SEED = 0x5bd1e995;

/** murmur3's 32-bit finalizer: spreads FNV's low-entropy high bits before the bucket is taken from them. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const isWordUnit = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c > 0x7f && c !== 0xa0 && !(c >= 0x2000 && c <= 0x206f) && !(c >= 0x3000 && c <= 0x303f));

/** The feature buckets of a text, in block order; block `b`'s are `buckets[ends[b - 1] .. ends[b])`. */
export interface BlockFeatures {
  buckets: Int32Array;
  ends: Int32Array;
}

let scratch = new Int32Array(1 << 14);

/** Every feature of `text`, grouped by block. The returned arrays are views of a shared buffer: use them at once. */
export function blockFeatures(text: string, bits: number, block: number): BlockFeatures {
  const len = text.length;
  const blocks = Math.max(1, Math.ceil(len / block));
  // (CHAR_MAX - CHAR_MIN + 1) char n-grams per padded position, two word features per character at most.
  const cap = (len + 2) * (CHAR_MAX - CHAR_MIN + 1) + 2 * len + 8;
  if (scratch.length < cap) scratch = new Int32Array(cap);
  const out = scratch;
  const ends = new Int32Array(blocks);
  const shift = 32 - bits;
  let n = 0;
  let word = 0;
  let prev = 0;
  let inWord = false;
  for (let b = 0; b < blocks; b++) {
    const from = b * block;
    const to = Math.min(len, from + block);
    // Character n-grams starting at padded positions p (p = 0 is the leading space; p = len + 1 the trailing one).
    const pFrom = b === 0 ? 0 : from + 1;
    const pTo = b === blocks - 1 ? len + 2 : to + 1;
    for (let p = pFrom; p < pTo; p++) {
      let h = FNV_OFFSET;
      for (let k = 0; k < CHAR_MAX && p + k < len + 2; k++) {
        const q = p + k;
        const c = q === 0 || q === len + 1 ? 32 : text.charCodeAt(q - 1);
        h = Math.imul(h ^ c, FNV_PRIME);
        if (k + 1 >= CHAR_MIN) out[n++] = mix(h) >>> shift;
      }
    }
    // Words (letters and digits, any script) that end in this block; a bigram with the word before it.
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (isWordUnit(c)) {
        if (!inWord) {
          inWord = true;
          word = WORD_SEED;
        }
        word = Math.imul(word ^ c, FNV_PRIME);
        if (i + 1 < len && isWordUnit(text.charCodeAt(i + 1))) continue;
        inWord = false;
        out[n++] = mix(word) >>> shift;
        if (prev !== 0) out[n++] = mix(Math.imul(prev ^ 0x27d4eb2d, 31) ^ word) >>> shift;
        prev = word | 1;
      }
    }
    ends[b] = n;
  }
  return { buckets: out.subarray(0, n), ends };
}

/**
 * Windows as runs of whole blocks, `[first, last)` block indices, at each scale (blocks per window), starting at
 * every block. A text no longer than a scale is one window; the same range is listed once.
 */
export function blockWindows(blocks: number, scales: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  let whole = false;
  for (const k of scales) {
    if (blocks <= k) {
      if (!whole) out.push([0, blocks]);
      whole = true;
      continue;
    }
    for (let s = 0; s + k <= blocks; s++) out.push([s, s + k]);
  }
  return out;
}
