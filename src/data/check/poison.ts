import { cellText, type Column } from './column.js';
import type { Evidence} from './evidence.js';
import { scoreAt } from './evidence.js';
import { encodeRows, type FeatureSpace } from './features.js';
import { KdTree, neighbours } from './kd-tree.js';
import { KeyChains } from './key-chains.js';
import { flagOneLabelCluster, MIN_CLUSTER } from './near-duplicates.js';
import { binomialSf } from './stats.js';

export interface PoisonOptions {
  /** Neighbours per query (default 10). */
  k?: number;
  /** The reference is sampled to at most this many rows for the index (default 200,000). */
  maxReference?: number;
  /** Reference rows queried leave-one-out to learn what is normal (default 20,000). */
  calibration?: number;
  seed?: number;
  onRows?: (done: number, total: number) => void;
}

/** What the row checks learnt about the reference, for the report. */
export interface PoisonStats {
  referenceIndexed: number;
  dims: number;
  /** Share of reference rows whose own neighbours outvote their label (leave-one-out). */
  baselineConflictRate?: number;
  conflicts?: number;
  oodThreshold?: number;
  nearDuplicateRadius?: number;
}

const CHUNK = 16_384;
const CONFLICT_SHARE = 0.7;
const OOD_FACTOR = 2.5;
const DUP_RADIUS = 0.13;
const ALPHA = 1e-4;

/** A deterministic PRNG (Marsaglia's xorshift32): the sample, and so the report, are the same on every run. */
export function rng(seed: number): () => number {
  let x = seed | 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Up to `max` distinct indices below `n`, sorted (all of them when n ≤ max). */
export function sampleIndices(n: number, max: number, random: () => number): Int32Array {
  if (n <= max) return Int32Array.from({ length: n }, (_, i) => i);
  const pick = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = pick[i]!;
    pick[i] = pick[j]!;
    pick[j] = t;
  }
  return pick.subarray(0, max).sort();
}

const quantile = (xs: Float64Array, q: number): number => {
  const s = Float64Array.from(xs).sort();
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Label ids for a column's cells (undefined label column: all -1). */
export function labelIds(c: Column | undefined, n: number, ids: Map<string, number>): Int32Array {
  const out = new Int32Array(n).fill(-1);
  if (c === undefined) return out;
  for (let i = 0; i < n; i++) {
    const t = cellText(c, i);
    if (t === null) continue;
    let id = ids.get(t);
    if (id === undefined) {
      id = ids.size;
      ids.set(t, id);
    }
    out[i] = id;
  }
  return out;
}

/**
 * Row-by-row checks of the current batch against the trusted reference in feature space:
 * - label conflicts: a row whose label is outvoted (≥ 70%, at most one neighbour agreeing) by its k nearest
 *   reference rows, flagged when such rows are more frequent than in the reference itself (leave-one-out), in one
 *   region of the space (a k-d tree node of about 400 or 100 calibration rows; Bonferroni over regions) or over
 *   the rest of the batch, beyond chance at 1e-4 (conditional binomial test of two rates);
 * - out-of-distribution rows: mean distance to the k nearest reference rows beyond 2.5 times the reference's own
 *   99.9th percentile (and 1.5 times its largest);
 * - near-duplicate clusters: five or more rows within 0.13 × the median nearest-neighbour distance of each other
 *   (cleanlab's radius rule), sharing their two nearest reference rows, at least 90% of them with one label; not
 *   when that radius is 0 (exact copies are common in the reference itself).
 */
export function checkRows(ref: readonly Column[], cur: readonly Column[], curRows: number, space: FeatureSpace, label: string | undefined, evidence: Evidence, options: PoisonOptions = {}): PoisonStats {
  const k = options.k ?? 10;
  const random = rng(options.seed ?? 1);
  const refRows = ref[0]?.length ?? 0;
  // At most 2^18 indexed rows keeps the near-duplicate key below 2^53.
  const sample = sampleIndices(refRows, Math.min(options.maxReference ?? 200_000, 1 << 18), random);
  const tree = new KdTree(encodeRows(space, ref, sample, sample.length), space.dims);
  const stats: PoisonStats = { referenceIndexed: sample.length, dims: space.dims };
  if (space.dims === 0 || sample.length <= k + 1) return stats;

  const labels = new Map<string, number>();
  const refLabelAll = labelIds(ref.find((c) => c.name === label), refRows, labels);
  const refLabel = Int32Array.from(sample, (i) => refLabelAll[i]!);
  const curLabel = labelIds(label === undefined ? undefined : cur.find((c) => c.name === label), curRows, labels);
  const labelName = [...labels.keys()];
  const nLabels = labels.size;
  const votes = new Int32Array(Math.max(1, nLabels));
  const nb = neighbours(k);
  // What the reference looks like from inside: leave-one-out queries of a calibration sample. Regions are k-d tree
  // nodes holding about 400 calibration rows, so each region's own conflict rate is known well enough to test.
  const calib = sampleIndices(sample.length, options.calibration ?? 20_000, random);
  const coarse = Math.max(0, Math.floor(Math.log2(calib.length / 400)));
  // Two scales of region (about 400 and 100 calibration rows), so a flip confined to a small corner still stands out.
  const depths = [coarse, coarse + 2] as const;
  const calibRegion = [new Int32Array(calib.length).fill(-1), new Int32Array(calib.length).fill(-1)] as const;
  const calibHit = new Uint8Array(calib.length);
  const calibDist = new Float64Array(calib.length);
  const calibNearest = new Float64Array(calib.length);
  const regionCalib = new Map<number, [conflicts: number, n: number]>();
  let calibConflicts = 0;
  let labelled = 0;
  const q = new Float64Array(space.dims);
  const conflictOf = (given: number): { top: number; share: number } | undefined => {
    if (given < 0) return undefined;
    votes.fill(0);
    let n = 0;
    for (let j = 0; j < nb.count; j++) {
      const l = refLabel[nb.index[j]!]!;
      if (l >= 0) {
        votes[l]!++;
        n++;
      }
    }
    let top = 0;
    for (let l = 1; l < nLabels; l++) if (votes[l]! > votes[top]!) top = l;
    const share = n === 0 ? 0 : votes[top]! / n;
    return top !== given && share >= CONFLICT_SHARE && votes[given]! <= 1 ? { top, share } : undefined;
  };
  for (let c = 0; c < calib.length; c++) {
    const row = calib[c]!;
    tree.point(row, q);
    tree.query(q, k, nb, row);
    let s = 0;
    for (let j = 0; j < nb.count; j++) s += Math.sqrt(nb.dist2[j]!);
    calibDist[c] = s / Math.max(1, nb.count);
    calibNearest[c] = Math.sqrt(nb.dist2[0]!);
    if (refLabel[row]! >= 0) {
      labelled++;
      const hit = conflictOf(refLabel[row]!) !== undefined ? 1 : 0;
      calibConflicts += hit;
      calibHit[c] = hit;
      for (let s2 = 0; s2 < 2; s2++) {
        const reg = tree.regionOf(q, depths[s2]);
        calibRegion[s2][c] = reg;
        const rc = regionCalib.get(reg) ?? [0, 0];
        rc[0] += hit;
        rc[1]++;
        regionCalib.set(reg, rc);
      }
    }
  }
  // 2.5× the 99.9th percentile, and never below 1.5× the largest calibration distance: in few dimensions the
  // distance tail is long, and a batch larger than the calibration sample reaches further into it by chance.
  const oodThreshold = Math.max(OOD_FACTOR * quantile(calibDist, 0.999), 1.5 * quantile(calibDist, 1));
  const radius = DUP_RADIUS * quantile(calibNearest, 0.5);
  stats.oodThreshold = oodThreshold;
  stats.nearDuplicateRadius = radius;
  if (nLabels > 1) stats.baselineConflictRate = calibConflicts / Math.max(1, labelled);

  // The current batch, in chunks so memory stays flat.
  const conflictRows: number[] = [];
  const conflictInfo = new Map<number, { top: number; share: number }>();
  const curRegion = [new Int32Array(curRows).fill(-1), new Int32Array(curRows).fill(-1)] as const;
  const regionCur = new Map<number, [conflicts: number, n: number]>();
  let curLabelled = 0;
  // Near-duplicate candidates share their two nearest reference rows and their distance to them (in steps of the
  // radius), grouped in typed arrays (KeyChains).
  const groups = new KeyChains(curRows);
  const chunkRows = new Int32Array(CHUNK);
  for (let start = 0; start < curRows; start += CHUNK) {
    const n = Math.min(CHUNK, curRows - start);
    for (let i = 0; i < n; i++) chunkRows[i] = start + i;
    const enc = encodeRows(space, cur, chunkRows, n);
    for (let i = 0; i < n; i++) {
      const row = start + i;
      const v = enc.subarray(i * space.dims, (i + 1) * space.dims);
      tree.query(v, k, nb);
      let s = 0;
      for (let j = 0; j < nb.count; j++) s += Math.sqrt(nb.dist2[j]!);
      const dist = s / Math.max(1, nb.count);
      if (dist > oodThreshold && oodThreshold > 0) evidence.add(row, scoreAt(dist, oodThreshold), `out_of_distribution: mean distance to the ${k} nearest reference rows is ${dist.toPrecision(3)}, ${(dist / oodThreshold).toFixed(1)}× the alarm distance learnt from the reference`);
      const d1 = Math.sqrt(nb.dist2[0]!);
      const lo = Math.min(nb.index[0]!, nb.index[1]!);
      const hi = Math.max(nb.index[0]!, nb.index[1]!);
      const key = (lo * sample.length + hi) * 65_536 + Math.min(65_535, radius > 0 ? Math.floor(d1 / radius) : 0);
      groups.add(key, row);
      if (curLabel[row]! >= 0) {
        curLabelled++;
        const hit = conflictOf(curLabel[row]!);
        if (hit !== undefined) {
          conflictRows.push(row);
          conflictInfo.set(row, hit);
        }
        for (let s2 = 0; s2 < 2; s2++) {
          const region = tree.regionOf(v, depths[s2]);
          curRegion[s2][row] = region;
          const rc = regionCur.get(region) ?? [0, 0];
          rc[1]++;
          if (hit !== undefined) rc[0]++;
          regionCur.set(region, rc);
        }
      }
    }
    options.onRows?.(Math.min(curRows, start + n), curRows);
  }

  if (nLabels > 1 && curLabelled > 0) {
    stats.conflicts = conflictRows.length;
    // Conditional binomial test of two rates: given c conflicts in all, how likely are this many in the batch?
    const excess = (c1: number, n1: number, c0: number, n0: number): boolean => c1 >= 3 && binomialSf(c1, c1 + c0, n1 / (n1 + n0)) < ALPHA;
    const regionSignificant = new Set<number>();
    for (const [region, [c, n]] of regionCur) {
      const [c0, n0] = regionCalib.get(region) ?? [0, 0];
      if (n0 > 0 && c >= 3 && binomialSf(c, c + c0, n / (n + n0)) < ALPHA / regionCur.size) regionSignificant.add(region);
    }
    // The rest of the batch (rows in no significant region) against the rest of the calibration.
    const inSignificant = (regions: readonly [Int32Array, Int32Array], i: number): boolean => regionSignificant.has(regions[0][i]!) || regionSignificant.has(regions[1][i]!);
    let restC = 0;
    let restN = 0;
    let restC0 = 0;
    let restN0 = 0;
    for (let i = 0; i < curRows; i++)
      if (curRegion[0][i]! >= 0 && !inSignificant(curRegion, i)) {
        restN++;
        if (conflictInfo.has(i)) restC++;
      }
    for (let i = 0; i < calib.length; i++)
      if (calibRegion[0][i]! >= 0 && !inSignificant(calibRegion, i)) {
        restN0++;
        restC0 += calibHit[i]!;
      }
    const globalSignificant = restN0 > 0 && excess(restC, restN, restC0, restN0);
    for (const row of conflictRows) {
      const info = conflictInfo.get(row)!;
      const regional = inSignificant(curRegion, row);
      if (!globalSignificant && !regional) continue;
      const where = regional ? 'concentrated in one region of feature space' : 'more often than in the reference';
      evidence.add(row, scoreAt(info.share, CONFLICT_SHARE), `label_conflict: label '${labelName[curLabel[row]!]}' but ${Math.round(info.share * 100)}% of the ${k} nearest reference rows say '${labelName[info.top]}' (${where})`);
    }
  }

  const curCols = space.columnsOf(cur);
  const a = new Float64Array(space.dims);
  const b = new Float64Array(space.dims);
  groups.forEachGroup(MIN_CLUSTER, (rows) => {
    // A radius of 0: the median reference row has an exact twin in the reference (few discrete features), so exact
    // copies are what this data looks like and say nothing about poisoning.
    if (radius === 0) return;
    space.encode(curCols, rows[0]!, a, 0);
    const members = rows.filter((r) => {
      space.encode(curCols, r, b, 0);
      let s = 0;
      for (let j = 0; j < space.dims; j++) s += (a[j]! - b[j]!) ** 2;
      return Math.sqrt(s) <= radius;
    });
    flagOneLabelCluster(members, curLabel, labelName, evidence, 'near-identical rows');
  });
  return stats;
}
