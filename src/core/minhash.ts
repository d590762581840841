/**
 * MinHash for near-duplicate text: the gateway's extraction sweeps (similar prompts, over word pairs) and
 * `data check`'s near-duplicate texts (over words). Features are lowercase words or word pairs (a one-word text is
 * its word), hashed as they are scanned (FNV-1a over code units; a pair mixes the two word hashes); the signature's
 * i-th value is the minimum of the i-th hash permutation over them, so two signatures agree at each position with
 * probability equal to the texts' Jaccard similarity. Signatures of different lengths share their prefix.
 */

/** Characters of a text that are read; the rest is ignored (bounded work per text). */
export const MAX_SHINGLE_CHARS = 4096;

const isWordChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c > 127 && c !== 0xa0 && !(c >= 0x2000 && c <= 0x206f) && c !== 0x3000);

/** Calls `onWord` with the FNV-1a hash of each lowercase word of the first `maxChars` characters. */
function scanWords(text: string, maxChars: number, onWord: (h: number) => void): void {
  const end = Math.min(text.length, maxChars);
  let h = 0x811c9dc5;
  let inWord = false;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 32;
    if (isWordChar(c)) {
      h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 0x01000193) >>> 0;
      inWord = true;
    } else if (inWord) {
      onWord(h);
      h = 0x811c9dc5;
      inWord = false;
    }
  }
}

function distinctSorted(xs: number[]): Uint32Array {
  const sorted = Uint32Array.from(xs).sort();
  let k = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[k - 1]) sorted[k++] = sorted[i]!;
  return sorted.subarray(0, k);
}

/** The distinct hashed word pairs of a text, sorted (a one-word text: its word; no words: empty). */
export function wordPairs(text: string, maxChars = MAX_SHINGLE_CHARS): Uint32Array {
  const out: number[] = [];
  let prev = -1;
  let words = 0;
  scanWords(text, maxChars, (h) => {
    if (prev >= 0) out.push((Math.imul(prev, 0x9e3779b1) ^ h) >>> 0);
    prev = h;
    words++;
  });
  if (words === 1) out.push(prev);
  return distinctSorted(out);
}

/** The distinct hashed words of a text, sorted: for short texts, where one changed word breaks two pairs. */
export function wordSet(text: string, maxChars = MAX_SHINGLE_CHARS): Uint32Array {
  const out: number[] = [];
  scanWords(text, maxChars, (h) => out.push(h));
  return distinctSorted(out);
}

const seedOf = (i: number): number => Math.imul(i + 1, 0x9e3779b9) >>> 0;

/** The MinHash signature (`size` values) of a set of feature hashes; all 0xffffffff for an empty set. */
export function minhashOf(features: Uint32Array, size: number): Uint32Array {
  const sig = new Uint32Array(size).fill(0xffffffff);
  for (let i = 0; i < size; i++) {
    const seed = seedOf(i);
    let min = 0xffffffff;
    for (const h of features) {
      // A cheap per-seed permutation of the feature hash (xorshift-multiply mix).
      let x = (h ^ seed) >>> 0;
      x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
      x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
      x = (x ^ (x >>> 16)) >>> 0;
      if (x < min) min = x;
    }
    sig[i] = min;
  }
  return sig;
}

/** MinHash signature of a text's word pairs. */
export const minhash = (text: string, size = 16): Uint32Array => minhashOf(wordPairs(text), size);

/** Jaccard similarity of two sorted sets of distinct hashes (1 for two empty sets). */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      both++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return both / (a.length + b.length - both);
}
