import type { Value } from './values.js';

/** Indices up to this go in a dense array; larger (hand-made) ones in a map. */
const DENSE_LIMIT = 1 << 24;

/**
 * The unpickler's memo: a dict from index to value. Serializers number entries 0, 1, 2 …, so a dense array keeps
 * millions of entries at one pointer each; a hostile index far away goes to a map instead of growing the array.
 * `size` is len(memo), the index MEMOIZE uses — not the largest index.
 */
export class Memo {
  private readonly dense: (Value | undefined)[] = [];
  private sparse: Map<number, Value> | undefined;
  size = 0;

  get(idx: number): Value | undefined {
    return idx < DENSE_LIMIT && idx <= this.dense.length ? this.dense[idx] : this.sparse?.get(idx);
  }

  has(idx: number): boolean {
    return this.get(idx) !== undefined;
  }

  set(idx: number, v: Value): void {
    if (idx < DENSE_LIMIT && idx <= this.dense.length) {
      if (this.dense[idx] === undefined) this.size++;
      this.dense[idx] = v;
      return;
    }
    this.sparse ??= new Map();
    if (!this.sparse.has(idx)) this.size++;
    this.sparse.set(idx, v);
  }
}
