/**
 * Rows grouped by a numeric key (an integer below 2^53) in typed arrays: an open-addressing table from key to the
 * last row added with it, and each row linked to the previous row with the same key. A million rows cost about
 * 28 bytes each and no object per row or per key, where a Map of numbers would box every key.
 */
export class KeyChains {
  private readonly keys: Float64Array;
  private readonly heads: Int32Array;
  private readonly next: Int32Array;
  private readonly mask: number;

  /** `rows`: the largest row index + 1 (each row is added at most once). */
  constructor(rows: number) {
    let size = 16;
    while (size < 2 * rows) size *= 2;
    this.mask = size - 1;
    this.keys = new Float64Array(size);
    this.heads = new Int32Array(size).fill(-1);
    this.next = new Int32Array(Math.max(1, rows)).fill(-1);
  }

  private slotOf(key: number): number {
    const lo = key >>> 0;
    const hi = Math.floor(key / 4_294_967_296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    let slot = h & this.mask;
    while (this.heads[slot] !== -1 && this.keys[slot] !== key) slot = (slot + 1) & this.mask;
    return slot;
  }

  add(key: number, row: number): void {
    const slot = this.slotOf(key);
    if (this.heads[slot] !== -1) this.next[row] = this.heads[slot]!;
    this.keys[slot] = key;
    this.heads[slot] = row;
  }

  /** Calls `fn` with the rows of each key that has at least `min` of them, in the order they were added. */
  forEachGroup(min: number, fn: (rows: number[]) => void): void {
    const { heads, next } = this;
    for (let slot = 0; slot < heads.length; slot++) {
      const tail = heads[slot]!;
      if (tail === -1 || next[tail] === -1) continue;
      const rows: number[] = [];
      for (let r = tail; r !== -1; r = next[r]!) rows.push(r);
      if (rows.length >= min) fn(rows.reverse());
    }
  }
}
