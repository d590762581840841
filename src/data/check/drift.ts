import { distinctCount, MISSING, NUMBER, type Column, type ColumnKind } from './column.js';
import { sortFloat64 } from './sort.js';
import { benjaminiHochberg, binomialSf, chiSquareHomogeneity, ksTwoSample, psi, wasserstein1 } from './stats.js';

export type Severity = 'none' | 'low' | 'medium' | 'high';
export type DriftTest = 'ks' | 'chi-square' | 'new_categories';

/** Shares per bin (numbers) or per category, for the report's charts. */
export interface Chart {
  labels: string[];
  ref: number[];
  cur: number[];
}

export interface ColumnDrift {
  column: string;
  test: DriftTest;
  statistic: number;
  pValue: number | null;
  /** Numbers: Wasserstein-1 over the reference's standard deviation. Categories: PSI. New categories: their share. */
  effect: number;
  severity: Severity;
  /** Benjamini–Hochberg adjusted p-value over every test in the check. */
  qValue: number;
  chart: Chart;
}

/** The false discovery rate at which a test counts as significant. */
export const FDR = 0.05;
/** Effect sizes at which a significant shift becomes medium and high (normed Wasserstein; PSI; share of new categories). */
export const EFFECT_LEVELS: Record<DriftTest, [medium: number, high: number]> = { ks: [0.1, 0.2], 'chi-square': [0.1, 0.25], new_categories: [0.01, 0.05] };
/** Numeric columns with at most this many distinct reference values are compared as categories. */
const FEW_VALUES = 10;
const TOP_CATEGORIES = 15;

/**
 * Sampling alone moves the normed Wasserstein distance between two samples of one distribution by about
 * 1.28·√(1/n + 1/m) on average, and past 3.1–3.9·√(1/n + 1/m) (across runs) once in a thousand pairs; the floor takes
 * the upper end (bench/data-drift-noise.ts, normal samples of 500 to 20,000 rows: the factor does not change with size). On small batches that floor reaches the medium level
 * (0.12 at 2,000 rows each), so a shift counts only by how far it stands above it; at a million rows it is 0.01.
 */
const KS_NOISE = 3.9;

const numbersOf = (c: Column): Float64Array => {
  const out = new Float64Array(c.numbers);
  let k = 0;
  for (let i = 0; i < c.length; i++) if (c.code[i] === NUMBER) out[k++] = c.num[i]!;
  return sortFloat64(out.subarray(0, k));
};

/** Category keys of a column's present cells (numbers by value). */
function categoryCounts(c: Column): Map<string, number> {
  const byCode = new Map<number, number>();
  const byNum = new Map<number, number>();
  for (let i = 0; i < c.length; i++) {
    const k = c.code[i]!;
    if (k === MISSING) continue;
    if (k === NUMBER) byNum.set(c.num[i]!, (byNum.get(c.num[i]!) ?? 0) + 1);
    else byCode.set(k, (byCode.get(k) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const [k, n] of byCode) out.set(c.dict[k]!, n);
  for (const [x, n] of byNum) out.set(String(x), (out.get(String(x)) ?? 0) + n);
  return out;
}

function severityOf(test: DriftTest, q: number, effect: number, noise: number): Severity {
  if (q >= FDR) return 'none';
  const [medium, high] = EFFECT_LEVELS[test];
  const beyond = effect - noise;
  return beyond >= high ? 'high' : beyond >= medium ? 'medium' : 'low';
}

/** A test's result before the p-values are adjusted together; `noise` is the effect sampling alone reaches. */
type Pending = Omit<ColumnDrift, 'severity' | 'qValue'> & { noise?: number };

function numericDrift(name: string, r: Column, c: Column): Pending | undefined {
  const a = numbersOf(r);
  const b = numbersOf(c);
  if (a.length < 2 || b.length < 1) return undefined;
  const ks = ksTwoSample(a, b);
  let mean = 0;
  for (const x of a) mean += x;
  mean /= a.length;
  let v = 0;
  for (const x of a) v += (x - mean) ** 2;
  const sd = Math.sqrt(v / (a.length - 1));
  const effect = wasserstein1(a, b) / Math.max(sd, 1e-3);
  return { column: name, test: 'ks', statistic: ks.statistic, pValue: ks.pValue, effect, noise: KS_NOISE * Math.sqrt(1 / a.length + 1 / b.length), chart: histogram(a, b) };
}

function histogram(a: Float64Array, b: Float64Array, bins = 20): Chart {
  const lo = Math.min(a[Math.floor(a.length * 0.005)]!, b[Math.floor(b.length * 0.005)]!);
  const hi = Math.max(a[Math.ceil(a.length * 0.995) - 1]!, b[Math.ceil(b.length * 0.995) - 1]!);
  const w = hi > lo ? (hi - lo) / bins : 1;
  const count = (x: Float64Array): number[] => {
    const h = new Array<number>(bins).fill(0);
    for (const v of x) h[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)))]!++;
    return h.map((n) => n / x.length);
  };
  return { labels: Array.from({ length: bins }, (_, i) => (lo + i * w).toPrecision(3)), ref: count(a), cur: count(b) };
}

function categoricalDrift(name: string, r: Column, c: Column): Pending[] {
  const rc = categoryCounts(r);
  const cc = categoryCounts(c);
  const cats = [...rc.keys()];
  let newCount = 0;
  const newCats: string[] = [];
  for (const [k, n] of cc)
    if (!rc.has(k)) {
      newCount += n;
      newCats.push(k);
    }
  const refCounts = [...cats.map((k) => rc.get(k)!), 0];
  const curCounts = [...cats.map((k) => cc.get(k) ?? 0), newCount];
  const nr = refCounts.reduce((s, x) => s + x, 0);
  const nc = curCounts.reduce((s, x) => s + x, 0);
  if (nr === 0 || nc === 0) return [];
  const top = cats.sort((x, y) => rc.get(y)! - rc.get(x)!).slice(0, TOP_CATEGORIES);
  const chart: Chart = { labels: [...top, ...(newCount > 0 ? ['(new)'] : [])], ref: [...top.map((k) => rc.get(k)! / nr), ...(newCount > 0 ? [0] : [])], cur: [...top.map((k) => (cc.get(k) ?? 0) / nc), ...(newCount > 0 ? [newCount / nc] : [])] };
  const chi = chiSquareHomogeneity(refCounts, curCounts);
  const out: Pending[] = [{ column: name, test: 'chi-square', statistic: chi.statistic, pValue: chi.pValue, effect: psi(refCounts, curCounts), chart }];
  if (newCount > 0) {
    // Good–Turing: the chance that a fresh draw shows a value never seen is about (values seen once) / N.
    let singletons = 0;
    for (const n of rc.values()) if (n === 1) singletons++;
    const unseen = Math.max(singletons / nr, 1 / nr);
    const share = newCount / nc;
    out.push({ column: name, test: 'new_categories', statistic: share, pValue: binomialSf(newCount, nc, unseen), effect: Math.max(0, share - unseen), chart: { labels: newCats.slice(0, TOP_CATEGORIES), ref: newCats.slice(0, TOP_CATEGORIES).map(() => 0), cur: newCats.slice(0, TOP_CATEGORIES).map((k) => cc.get(k)! / nc) } });
  }
  return out;
}

/**
 * Drift of every common column that can drift: numbers by two-sample K-S (effect: Wasserstein-1 over the
 * reference's standard deviation), categories and few-valued numbers by chi-square (effect: PSI) plus a test for
 * categories the reference never had. p-values are adjusted together (Benjamini–Hochberg); a column drifts when the
 * adjusted value is below FDR, and its severity comes from the effect size above what sampling alone reaches at these
 * sizes, so a tiny shift that is significant only because the batch is large stays low, and so does the chance
 * wobble of a small batch.
 */
export function driftOf(ref: readonly Column[], cur: readonly Column[], kinds: ReadonlyMap<string, ColumnKind>, skip: ReadonlySet<string>): ColumnDrift[] {
  const curBy = new Map(cur.map((c) => [c.name, c]));
  const pending: Pending[] = [];
  for (const r of ref) {
    const c = curBy.get(r.name);
    const kind = kinds.get(r.name);
    if (c === undefined || skip.has(r.name)) continue;
    if (kind === 'numeric') {
      if (distinctCount(r, 200_000, FEW_VALUES) <= FEW_VALUES) pending.push(...categoricalDrift(r.name, r, c));
      else {
        const d = numericDrift(r.name, r, c);
        if (d !== undefined) pending.push(d);
      }
    } else if (kind === 'categorical') pending.push(...categoricalDrift(r.name, r, c));
  }
  const q = benjaminiHochberg(pending.map((p) => p.pValue ?? 1));
  return pending.map(({ noise, ...p }, i) => ({ ...p, qValue: q[i]!, severity: severityOf(p.test, q[i]!, p.effect, noise ?? 0) }));
}
