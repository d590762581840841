/**
 * A string derived from an original text, with each UTF-16 unit's origin: `starts[i]` / `ends[i]` is the range of
 * the original text that produced unit `i`, so a span found in the derived text maps back exactly. The arrays are
 * read-only: results may share them (see {@link identityMapped}).
 */
export interface Mapped {
  text: string;
  starts: Int32Array;
  ends: Int32Array;
}

/** Builds a `Mapped` from runs: copied runs keep their origins, replacements take the range they replace. */
export class MappedBuilder {
  readonly #parts: string[] = [];
  #starts: Int32Array;
  #ends: Int32Array;
  #length = 0;

  constructor(capacity: number) {
    this.#starts = new Int32Array(Math.max(16, capacity));
    this.#ends = new Int32Array(Math.max(16, capacity));
  }

  /** Appends `s`, every unit of which came from original `[start, end)`. */
  push(s: string, start: number, end: number): void {
    if (s.length === 0) return;
    const need = this.#reserve(s.length);
    this.#starts.fill(start, this.#length, need);
    this.#ends.fill(end, this.#length, need);
    this.#length = need;
    this.#parts.push(s);
  }

  /** Appends `text[from, to)` of the original itself: unit k came from `[k, k + 1)`. */
  pushOriginal(text: string, from: number, to: number): void {
    if (to <= from) return;
    const need = this.#reserve(to - from);
    for (let k = from, o = this.#length; k < to; k++, o++) {
      this.#starts[o] = k;
      this.#ends[o] = k + 1;
    }
    this.#length = need;
    this.#parts.push(text.slice(from, to));
  }

  /** Appends units `[from, to)` of another mapped string, keeping their origins. */
  pushMapped(m: Mapped, from: number, to: number): void {
    if (to <= from) return;
    const need = this.#reserve(to - from);
    this.#starts.set(m.starts.subarray(from, to), this.#length);
    this.#ends.set(m.ends.subarray(from, to), this.#length);
    this.#length = need;
    this.#parts.push(m.text.slice(from, to));
  }

  build(): Mapped {
    return { text: this.#parts.join(''), starts: this.#starts.subarray(0, this.#length), ends: this.#ends.subarray(0, this.#length) };
  }

  #reserve(n: number): number {
    const need = this.#length + n;
    if (need > this.#starts.length) {
      const cap = Math.max(need, this.#starts.length * 2);
      const s = new Int32Array(cap);
      const e = new Int32Array(cap);
      s.set(this.#starts.subarray(0, this.#length));
      e.set(this.#ends.subarray(0, this.#length));
      this.#starts = s;
      this.#ends = e;
    }
    return need;
  }
}

/** Maps derived range `[start, end)` of `m` to the original range it came from; empty ranges stay empty. */
export function originalSpan(m: Mapped, start: number, end: number): { start: number; end: number } {
  if (m.text.length === 0) return { start: 0, end: 0 };
  const s = Math.min(Math.max(start, 0), m.text.length - 1);
  const e = Math.min(Math.max(end, s + 1), m.text.length);
  return { start: m.starts[s]!, end: Math.max(m.starts[s]!, m.ends[e - 1]!) };
}

/** Longest text whose identity map is shared; longer ones get arrays of their own. */
const SHARED_IDENTITY = 1 << 16;
/** 0, 1, 2, …: `starts` of an unchanged text is a view of its head and `ends` the same shifted by one. */
let identity: Int32Array = new Int32Array(0);

/** `text` as its own derived string (every unit from itself), without building the maps unit by unit. */
export function identityMapped(text: string): Mapped {
  const n = text.length;
  let ids: Int32Array;
  if (n >= SHARED_IDENTITY) ids = counting(n + 1);
  else {
    if (n + 1 > identity.length) identity = counting(Math.min(SHARED_IDENTITY, Math.max(n + 1, identity.length * 2, 1024)));
    ids = identity;
  }
  return { text, starts: ids.subarray(0, n), ends: ids.subarray(1, n + 1) };
}

function counting(length: number): Int32Array {
  const a = new Int32Array(length);
  for (let i = 0; i < length; i++) a[i] = i;
  return a;
}
