import { jaccard, minhashOf, wordSet } from '../../core/minhash.js';
import { cellText, type Column } from './column.js';
import type { Evidence } from './evidence.js';
import { KeyChains } from './key-chains.js';
import { flagOneLabelCluster, MIN_CLUSTER } from './near-duplicates.js';
import { sortFloat64 } from './sort.js';

/** What the text near-duplicate check saw, for the report. */
export interface TextDuplicateStats {
  /** Clusters of at least MIN_CLUSTER near-identical texts in the batch. */
  clusters: number;
  /** Of those, the ones the reference explains (it has the same text at a comparable rate). */
  explainedByReference: number;
}

/** Signature bands × values per band: pairs at Jaccard 0.7 meet in some band with probability 0.9, at 0.3 with 0.06. */
const BANDS = 8;
const PER_BAND = 4;
/**
 * Word-set Jaccard at or above which two texts are near-identical: two copies of a twelve-word text, each with
 * another word changed, share 10 of 14 words (0.71); of an eight-word text, 6 of 10. Short texts of common words
 * reach 0.5 by chance.
 */
const MIN_JACCARD = 0.6;
/** A cluster is explained when the batch has it at most this many times more often per row than the reference. */
const OVER_REFERENCE = 4;
const REF_ROW_BITS = 18;

/** The word sets of some rows, computed once, side by side in one typed array (row i: values[offsets[i], offsets[i + 1])). */
interface WordSets {
  offsets: Int32Array;
  values: Uint32Array;
}

function wordSets(text: Column | undefined, rows: Int32Array | null, count: number): WordSets {
  const offsets = new Int32Array(count + 1);
  let values = new Uint32Array(Math.max(16, count * 8));
  let at = 0;
  for (let i = 0; i < count; i++) {
    const t = text === undefined ? null : cellText(text, rows === null ? i : rows[i]!);
    if (t !== null) {
      const set = wordSet(t);
      if (at + set.length > values.length) {
        const bigger = new Uint32Array(Math.max(values.length * 2, at + set.length));
        bigger.set(values.subarray(0, at));
        values = bigger;
      }
      values.set(set, at);
      at += set.length;
    }
    offsets[i + 1] = at;
  }
  return { offsets, values: values.slice(0, at) };
}

const setOf = (w: WordSets, i: number): Uint32Array => w.values.subarray(w.offsets[i], w.offsets[i + 1]);

/** Band keys (BANDS per row, each a 32-bit hash of PER_BAND signature values); rows without words get none. */
function bandKeys(w: WordSets, count: number): { keys: Uint32Array; has: Uint8Array } {
  const keys = new Uint32Array(count * BANDS);
  const has = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const set = setOf(w, i);
    if (set.length === 0) continue;
    const sig = minhashOf(set, BANDS * PER_BAND);
    for (let b = 0; b < BANDS; b++) {
      let h = 0x811c9dc5 ^ b;
      for (let j = 0; j < PER_BAND; j++) h = Math.imul(h ^ sig[b * PER_BAND + j]!, 0x01000193);
      keys[i * BANDS + b] = h >>> 0;
    }
    has[i] = 1;
  }
  return { keys, has };
}

/**
 * Clusters of near-identical texts with one label in the current batch (a text column alone has no feature space
 * for the row checks): MinHash signatures of their word sets, banded for locality-sensitive hashing; rows that
 * meet a bucket's first row in some band and share at least 60% of their words with it are joined (union-find),
 * so the work is linear in rows, and a cluster is then the rows near-identical to one of its members. Five or
 * more, at least 90% one label, are flagged unless the reference (its sample of up to 2^18 rows) holds near-copies
 * at a comparable rate: templates and stock phrases that real data repeats stay quiet.
 */
export function textNearDuplicates(refText: Column | undefined, refSample: Int32Array, curText: Column, curRows: number, label: Int32Array, labelName: readonly string[], evidence: Evidence): TextDuplicateStats {
  const stats: TextDuplicateStats = { clusters: 0, explainedByReference: 0 };
  const curSets = wordSets(curText, null, curRows);
  const cur = bandKeys(curSets, curRows);
  const parent = Int32Array.from({ length: curRows }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  for (let b = 0; b < BANDS; b++) {
    const buckets = new KeyChains(curRows);
    for (let i = 0; i < curRows; i++) if (cur.has[i] === 1) buckets.add(cur.keys[i * BANDS + b]!, i);
    buckets.forEachGroup(2, (rows) => {
      const first = rows[0]!;
      const p0 = setOf(curSets, first);
      for (let j = 1; j < rows.length; j++) {
        const r = rows[j]!;
        const a = find(first);
        const c = find(r);
        if (a === c) continue;
        if (curText.code[r] === curText.code[first] || jaccard(p0, setOf(curSets, r)) >= MIN_JACCARD) parent[Math.max(a, c)] = Math.min(a, c);
      }
    });
  }
  const size = new Int32Array(curRows);
  for (let i = 0; i < curRows; i++) if (cur.has[i] === 1) size[find(i)]!++;
  const clusters = new KeyChains(curRows);
  for (let i = 0; i < curRows; i++) if (cur.has[i] === 1 && size[find(i)]! >= MIN_CLUSTER) clusters.add(find(i), i);

  // The reference's band keys, one sorted array per band of (key · 2^18 + sample index), searched per cluster.
  const refSets = wordSets(refText, refSample, refSample.length);
  const ref = refText === undefined ? undefined : bandKeys(refSets, refSample.length);
  const refBands = Array.from({ length: BANDS }, (_, b) => {
    const keys: number[] = [];
    if (ref !== undefined) for (let i = 0; i < refSample.length; i++) if (ref.has[i] === 1) keys.push(ref.keys[i * BANDS + b]! * 2 ** REF_ROW_BITS + i);
    return sortFloat64(Float64Array.from(keys));
  });
  // Near-copies of `row` in the reference sample, counted up to `need` (enough to explain the cluster).
  const referenceNear = (row: number, need: number): number => {
    if (refText === undefined) return 0;
    const p0 = setOf(curSets, row);
    const seen = new Set<number>();
    for (let b = 0; b < BANDS; b++) {
      const lo = cur.keys[row * BANDS + b]! * 2 ** REF_ROW_BITS;
      const keys = refBands[b]!;
      let i = lowerBound(keys, lo);
      for (; i < keys.length && keys[i]! < lo + 2 ** REF_ROW_BITS && seen.size < need; i++) {
        const s = keys[i]! - lo;
        if (!seen.has(s) && jaccard(p0, setOf(refSets, s)) >= MIN_JACCARD) seen.add(s);
      }
    }
    return seen.size;
  };
  clusters.forEachGroup(MIN_CLUSTER, (joined) => {
    const members = core(curText, curSets, joined);
    if (members.length < MIN_CLUSTER) return;
    stats.clusters++;
    const need = Math.max(1, Math.ceil((members.length * refSample.length) / (OVER_REFERENCE * curRows)));
    if (referenceNear(members[0]!, need) >= need) {
      stats.explainedByReference++;
      return;
    }
    flagOneLabelCluster(members, label, labelName, evidence, 'near-identical texts');
  });
  return stats;
}

/**
 * The rows of a union-find group that are near-identical to one row of it (the best of its first eight): joining
 * is transitive, so a chain of texts that each share half their words with the next is not one cluster.
 */
function core(text: Column, sets: WordSets, rows: readonly number[]): number[] {
  let best: number[] = [];
  for (const centre of rows.slice(0, 8)) {
    const p0 = setOf(sets, centre);
    const near = rows.filter((r) => r === centre || text.code[r] === text.code[centre] || jaccard(p0, setOf(sets, r)) >= MIN_JACCARD);
    if (near.length > best.length) best = near;
    if (best.length === rows.length) break;
  }
  return best;
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
