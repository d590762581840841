/**
 * A k-d tree over the rows of a dense Float64Array (row-major, `dims` wide) for k-nearest-neighbour queries in
 * Euclidean distance. Splits on the widest dimension at its median; leaves hold up to LEAF rows. Queries descend to
 * cells in order of their lower-bound distance (best bin first), up to `maxLeaves` leaves: exact when the search
 * ends before the budget, a close approximation when it does not (high dimensions), and bounded either way.
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
  /** The rows in tree order (leaf rows side by side in memory, so a leaf scan reads one contiguous block). */
  private readonly packed: Float64Array;
  private readonly dim: Int32Array;
  private readonly split: Float64Array;
  private readonly lo: Int32Array;
  private readonly hi: Int32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private nodes = 0;
  private readonly heap = new MinHeap(4096);
  readonly size: number;

  /** Where each original row sits in tree order. */
  private readonly pos: Int32Array;

  /** Indexes the rows of `data`, which it takes over and reorders in place into tree order (no second copy). */
  constructor(
    private readonly data: Float64Array,
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
    this.pos = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) this.pos[this.perm[i]!] = i;
    // Row perm[i] moves to slot i, one permutation cycle at a time with one row of scratch.
    const done = new Uint8Array(this.size);
    const tmp = new Float64Array(dims);
    for (let start = 0; start < this.size; start++) {
      if (done[start] === 1) continue;
      tmp.set(data.subarray(start * dims, (start + 1) * dims));
      let j = start;
      for (;;) {
        done[j] = 1;
        const from = this.perm[j]!;
        if (from === start) {
          data.set(tmp, j * dims);
          break;
        }
        data.copyWithin(j * dims, from * dims, (from + 1) * dims);
        j = from;
      }
    }
    this.packed = data;
  }

  /** Copies original row `row`'s vector into `out`. */
  point(row: number, out: Float64Array): Float64Array {
    const at = this.pos[row]!;
    out.set(this.packed.subarray(at * this.dims, (at + 1) * this.dims));
    return out;
  }

  private build(lo: number, hi: number, depth: number): number {
    const node = this.nodes++;
    this.lo[node] = lo;
    this.hi[node] = hi;
    if (hi - lo <= LEAF || depth > 100) return node;
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
  query(q: Float64Array, k: number, out: Neighbours, exclude = -1, maxLeaves = 3): Neighbours {
    out.count = 0;
    if (this.size === 0) return out;
    const { packed, dims, perm, dim, split, left, right, lo, hi, heap } = this;
    // Best bin first (Beis & Lowe 1997): cells wait in a min-heap keyed by a lower bound on their distance (the
    // largest split distance on the way to them); the nearest cell is scanned next. When the heap's best bound is
    // already past the k-th distance, the answer is exact; otherwise the leaf budget stops the search.
    heap.clear();
    heap.push(0, 0);
    let leaves = 0;
    while (heap.size > 0 && leaves < maxLeaves) {
      const bound = heap.minKey();
      let node = heap.pop();
      if (out.count === k && bound >= out.dist2[k - 1]!) break;
      for (let d = dim[node]!; d >= 0; d = dim[node]!) {
        const diff = q[d]! - split[node]!;
        heap.push(Math.max(bound, diff * diff), diff < 0 ? right[node]! : left[node]!);
        node = diff < 0 ? left[node]! : right[node]!;
      }
      leaves++;
      let worst = out.count === k ? out.dist2[k - 1]! : Infinity;
      for (let i = lo[node]!; i < hi[node]!; i++) {
        const row = perm[i]!;
        if (row === exclude) continue;
        let s = 0;
        const base = i * dims;
        // Partial distances: stop summing once this row cannot be among the k nearest.
        for (let j = 0; j < dims && s < worst; j++) {
          const t = packed[base + j]! - q[j]!;
          s += t * t;
        }
        if (s < worst) {
          insert(out, k, row, s);
          if (out.count === k) worst = out.dist2[k - 1]!;
        }
      }
    }
    return out;
  }

  /** The node at `depth` (or the leaf above it) that `q` falls in: a region of about size / 2^depth rows. */
  regionOf(q: Float64Array, depth: number): number {
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

/** A binary min-heap of (key, node) with a fixed capacity; pushes past it are dropped (the search is bounded anyway). */
class MinHeap {
  private readonly keys: Float64Array;
  private readonly vals: Int32Array;
  size = 0;
  constructor(private readonly capacity: number) {
    this.keys = new Float64Array(capacity);
    this.vals = new Int32Array(capacity);
  }
  clear(): void {
    this.size = 0;
  }
  minKey(): number {
    return this.keys[0]!;
  }
  push(key: number, val: number): void {
    if (this.size === this.capacity) return;
    let i = this.size++;
    const { keys, vals } = this;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      vals[i] = vals[parent]!;
      i = parent;
    }
    keys[i] = key;
    vals[i] = val;
  }
  pop(): number {
    const { keys, vals } = this;
    const top = vals[0]!;
    const n = --this.size;
    if (n === 0) return top;
    const key = keys[n]!;
    const val = vals[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && keys[c + 1]! < keys[c]!) c++;
      if (keys[c]! >= key) break;
      keys[i] = keys[c]!;
      vals[i] = vals[c]!;
      i = c;
    }
    keys[i] = key;
    vals[i] = val;
    return top;
  }
}
