/**
 * Two-sample statistics for drift, written against their definitions and tested against SciPy 1.17 values
 * (test/fixtures/data/stats.json, made by test/fixtures/data/make-stats.py).
 */

export interface TestResult {
  statistic: number;
  pValue: number;
}

/** Above this many lattice cells (m·n) the K-S p-value comes from the Kolmogorov limit instead of the exact count. */
export const KS_EXACT_CELLS = 4_000_000;

/**
 * Two-sample Kolmogorov–Smirnov on sorted samples: D = sup |F_a − G_b|, two-sided. The p-value is exact (lattice
 * paths, Hodges 1958; SciPy's `method='exact'`) while m·n ≤ KS_EXACT_CELLS and max(m, n) ≤ 10,000 as SciPy's 'auto' does, else
 * the Kolmogorov distribution at √(mn/(m+n))·D with Stephens' small-sample correction.
 */
export function ksTwoSample(a: Float64Array, b: Float64Array): TestResult {
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) return { statistic: 0, pValue: 1 };
  // D·m·n as an integer: max |i·n − j·m| over the merged order, stepping past ties together.
  let i = 0;
  let j = 0;
  let dmn = 0;
  while (i < m && j < n) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < m && a[i] === x) i++;
    while (j < n && b[j] === x) j++;
    dmn = Math.max(dmn, Math.abs(i * n - j * m));
  }
  const d = dmn / (m * n);
  if (m * n <= KS_EXACT_CELLS && Math.max(m, n) <= 10_000) return { statistic: d, pValue: ksExactSf(m, n, dmn) };
  const en = (m * n) / (m + n);
  const s = Math.sqrt(en);
  return { statistic: d, pValue: kolmogorovSf((s + 0.12 + 0.11 / s) * d) };
}

/**
 * P(D ≥ d) under the null, d = dmn/(m·n): one minus the share of monotone lattice paths from (0,0) to (m,n) that
 * stay strictly inside |i·n − j·m| < dmn. Counts are kept divided by C(i+j, i), so they stay in [0, 1].
 */
function ksExactSf(m: number, n: number, dmn: number): number {
  let row = new Float64Array(n + 1);
  let next = new Float64Array(n + 1);
  const inside = (i: number, j: number): boolean => Math.abs(i * n - j * m) < dmn;
  row[0] = 1;
  for (let j = 1; j <= n; j++) row[j] = inside(0, j) ? row[j - 1]! : 0;
  for (let i = 1; i <= m; i++) {
    next[0] = inside(i, 0) ? row[0]! : 0;
    for (let j = 1; j <= n; j++) next[j] = inside(i, j) ? (i / (i + j)) * row[j]! + (j / (i + j)) * next[j - 1]! : 0;
    [row, next] = [next, row];
  }
  return Math.min(1, Math.max(0, 1 - row[n]!));
}

/** The Kolmogorov distribution's survival function Q(λ) = 2 Σ (−1)^(k−1) exp(−2k²λ²). */
export function kolmogorovSf(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 1.18) {
    // The theta-function form converges fast for small λ: 1 − √(2π)/λ Σ exp(−(2k−1)²π²/(8λ²)).
    const w = (Math.PI * Math.PI) / (8 * lambda * lambda);
    let s = 0;
    for (let k = 1; k <= 7; k++) s += Math.exp(-(2 * k - 1) * (2 * k - 1) * w);
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * s));
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const t = Math.exp(-2 * k * k * lambda * lambda);
    s += (k % 2 === 1 ? 1 : -1) * t;
    if (t < 1e-300) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/** Wasserstein-1 distance between two sorted samples: ∫ |F_a(x) − G_b(x)| dx (SciPy's `wasserstein_distance`). */
export function wasserstein1(a: Float64Array, b: Float64Array): number {
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) return 0;
  let i = 0;
  let j = 0;
  let total = 0;
  let prev = Math.min(a[0]!, b[0]!);
  while (i < m || j < n) {
    const x = j >= n || (i < m && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    total += Math.abs(i / m - j / n) * (x - prev);
    prev = x;
    while (i < m && a[i] === x) i++;
    while (j < n && b[j] === x) j++;
  }
  return total;
}

/** ln Γ(x) for x > 0: shifted up to x ≥ 15 by the recurrence, then Stirling's series to the x⁻¹³ term (about 1e-15). */
export function lnGamma(x: number): number {
  let shift = 0;
  let y = x;
  while (y < 15) {
    shift += Math.log(y);
    y += 1;
  }
  const r = 1 / y;
  const r2 = r * r;
  const series = r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 / 156))))));
  return (y - 0.5) * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** The regularized upper incomplete gamma Q(a, x) (series below a + 1, Lentz continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let k = 1; k < 10_000; k++) {
      term *= x / (a + k);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let k = 1; k < 10_000; k++) {
    const an = -k * (k - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.min(1, Math.exp(lead) * h);
}

/** Chi-square survival function with `dof` degrees of freedom. */
export const chi2Sf = (x: number, dof: number): number => gammaQ(dof / 2, x / 2);

/**
 * Pearson's chi-square test of homogeneity on a 2×k table of counts (SciPy's `chi2_contingency(correction=False)`);
 * categories empty in both rows are dropped.
 */
export function chiSquareHomogeneity(ref: readonly number[], cur: readonly number[]): TestResult {
  const nr = ref.reduce((s, x) => s + x, 0);
  const nc = cur.reduce((s, x) => s + x, 0);
  const total = nr + nc;
  let stat = 0;
  let k = 0;
  for (let i = 0; i < ref.length; i++) {
    const col = ref[i]! + cur[i]!;
    if (col === 0) continue;
    k++;
    const er = (nr * col) / total;
    const ec = (nc * col) / total;
    stat += (ref[i]! - er) ** 2 / er + (cur[i]! - ec) ** 2 / ec;
  }
  if (k < 2 || nr === 0 || nc === 0) return { statistic: 0, pValue: 1 };
  return { statistic: stat, pValue: chi2Sf(stat, k - 1) };
}

const normalize = (x: readonly number[]): number[] => {
  const s = x.reduce((a, b) => a + b, 0);
  return x.map((v) => (s === 0 ? 0 : v / s));
};

/** Jensen–Shannon distance in base 2 (0 to 1): SciPy's `jensenshannon(p, q, base=2)`. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const a = normalize(p);
  const b = normalize(q);
  let js = 0;
  for (let i = 0; i < a.length; i++) {
    const m = (a[i]! + b[i]!) / 2;
    if (a[i]! > 0) js += 0.5 * a[i]! * Math.log2(a[i]! / m);
    if (b[i]! > 0) js += 0.5 * b[i]! * Math.log2(b[i]! / m);
  }
  return Math.sqrt(Math.max(0, js));
}

/** Population stability index Σ (cur − ref)·ln(cur/ref) over shares, empty bins floored at 1e-4 (as Evidently does). */
export function psi(ref: readonly number[], cur: readonly number[]): number {
  const a = normalize(ref);
  const b = normalize(cur);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const r = Math.max(a[i]!, 1e-4);
    const c = Math.max(b[i]!, 1e-4);
    s += (c - r) * Math.log(c / r);
  }
  return s;
}

/** Benjamini–Hochberg adjusted p-values (SciPy's `false_discovery_control(ps, method='bh')`). */
export function benjaminiHochberg(ps: readonly number[]): number[] {
  const n = ps.length;
  const order = ps.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(n);
  let min = 1;
  for (let r = n - 1; r >= 0; r--) {
    const [p, i] = order[r]!;
    min = Math.min(min, (p * n) / (r + 1));
    out[i] = min;
  }
  return out;
}

/** One-sided binomial tail P(X ≥ k) for X ~ Bin(n, p), via the regularized incomplete beta's gamma-free sum in logs. */
export function binomialSf(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const lnC = (r: number): number => lnGamma(n + 1) - lnGamma(r + 1) - lnGamma(n - r + 1);
  let total = 0;
  for (let r = k; r <= n; r++) {
    const t = Math.exp(lnC(r) + r * lp + (n - r) * lq);
    total += t;
    if (r > n * p && t < total * 1e-17) break;
  }
  return Math.min(1, total);
}
