/**
 * A k-d tree over the rows of a dense Float32Array (row-major, `dims` wide) for k-nearest-neighbour queries in
 * Euclidean distance. Splits on the widest dimension at its median; leaves hold up to LEAF rows. Queries descend to
 * the nearest leaf first and then visit other leaves while they could hold a closer row, up to `maxLeaves` leaves:
 * exact when the budget is not reached, a close approximation when it is (high dimensions), and bounded either way.
 */
const LEAF = 24;

export interface Neighbours {
  /** Row indices in the tree's data, nearest first. */
  index: Int32Array;
  /** Squared distances, same order. */
  dist2: Float64Array;
  count: number;
}

export class KdTree {
  readonly perm: Int32Array;
  private readonly dim: Int32Array;
  private readonly split: Float64Array;
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private nodes = 0;
  readonly size: number;

  constructor(
    readonly data: Float32Array,
    readonly dims: number,
  ) {
    this.size = dims === 0 ? 0 : data.length / dims;
    this.perm = Int32Array.from({ length: this.size }, (_, i) => i);
    const cap = Math.max(1, 2 * Math.ceil(this.size / (LEAF / 2)) + 1);
    this.dim = new Int32Array(cap).fill(-1);
    this.split = new Float64Array(cap);
    this.lo = new Int32Array(cap);
    this.hi = new Int32Array(cap);
    this.left = new Int32Array(cap);
    this.right = new Int32Array(cap);
    this.build(0, this.size, 0);
  }

  private build(lo: number, hi: number, depth: number): number {
    const node = this.nodes++;
    this.lo[node] = lo;
    this.hi[node] = hi;
    if (hi - lo <= LEAF || depth > 60) return node;
    const { data, dims, perm } = this;
    let best = 0;
    let bestSpread = -1;
    for (let d = 0; d < dims; d++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = lo; i < hi; i++) {
        const v = data[perm[i]! * dims + d]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      if (mx - mn > bestSpread) {
        bestSpread = mx - mn;
        best = d;
      }
    }
    if (bestSpread <= 0) return node;
    const mid = (lo + hi) >> 1;
    this.select(lo, hi - 1, mid, best);
    this.dim[node] = best;
    this.split[node] = data[perm[mid]! * dims + best]!;
    this.left[node] = this.build(lo, mid, depth + 1);
    this.right[node] = this.build(mid, hi, depth + 1);
    return node;
  }

  /** Quickselect on perm[lo..hi] so that perm[k] holds the k-th smallest along dimension d. */
  private select(lo: number, hi: number, k: number, d: number): void {
    const { data, dims, perm } = this;
    const at = (i: number): number => data[perm[i]! * dims + d]!;
    while (hi > lo) {
      const pivot = at((lo + hi) >> 1);
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (at(i) < pivot) i++;
        while (at(j) > pivot) j--;
        if (i <= j) {
          const t = perm[i]!;
          perm[i] = perm[j]!;
          perm[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) hi = j;
      else if (k >= i) lo = i;
      else return;
    }
  }

  /**
   * The k nearest rows to `q` (a `dims`-long vector), skipping row `exclude` (for leave-one-out queries of the
   * tree's own rows). `out` is reused between calls to keep queries allocation-free.
   */
  query(q: Float32Array | Float64Array, k: number, out: Neighbours, exclude = -1, maxLeaves = 48): Neighbours {
    out.count = 0;
    let leaves = 0;
    const { data, dims, perm } = this;
    const visit = (node: number): void => {
      if (leaves >= maxLeaves) return;
      const d = this.dim[node]!;
      if (d < 0) {
        leaves++;
        for (let i = this.lo[node]!; i < this.hi[node]!; i++) {
          const row = perm[i]!;
          if (row === exclude) continue;
          let s = 0;
          const base = row * dims;
          for (let j = 0; j < dims; j++) {
            const t = data[base + j]! - q[j]!;
            s += t * t;
          }
          insert(out, k, row, s);
        }
        return;
      }
      const diff = q[d]! - this.split[node]!;
      const near = diff < 0 ? this.left[node]! : this.right[node]!;
      const far = diff < 0 ? this.right[node]! : this.left[node]!;
      visit(near);
      if (out.count < k || diff * diff < out.dist2[out.count - 1]!) visit(far);
    };
    if (this.size > 0) visit(0);
    return out;
  }

  /** The node at `depth` (or the leaf above it) that `q` falls in: a region of about size / 2^depth rows. */
  regionOf(q: Float32Array | Float64Array, depth: number): number {
    let node = 0;
    for (let i = 0; i < depth && this.dim[node]! >= 0; i++) node = q[this.dim[node]!]! < this.split[node]! ? this.left[node]! : this.right[node]!;
    return node;
  }
}

export const neighbours = (k: number): Neighbours => ({ index: new Int32Array(k), dist2: new Float64Array(k), count: 0 });

function insert(out: Neighbours, k: number, row: number, s: number): void {
  if (out.count === k && s >= out.dist2[k - 1]!) return;
  let i = out.count < k ? out.count++ : k - 1;
  while (i > 0 && out.dist2[i - 1]! > s) {
    out.dist2[i] = out.dist2[i - 1]!;
    out.index[i] = out.index[i - 1]!;
    i--;
  }
  out.dist2[i] = s;
  out.index[i] = row;
}
