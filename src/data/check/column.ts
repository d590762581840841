/**
 * Typed columns for `data check`. Each cell is one of three kinds: missing, a number, or a string. Numbers live in
 * a Float64Array (NaN elsewhere); strings are dictionary-encoded in an Int32Array (MISSING, NUMBER, or an index into
 * `dict`), so a million-row column of a few categories costs 12 bytes a cell and no per-cell objects.
 */
export const MISSING = -1;
export const NUMBER = -2;

/** What a column holds, decided on the reference. */
export type ColumnKind = 'numeric' | 'categorical' | 'text' | 'identifier' | 'empty';

export interface Column {
  name: string;
  length: number;
  num: Float64Array;
  code: Int32Array;
  dict: string[];
  missing: number;
  numbers: number;
  strings: number;
}

/** Longest string kept per cell; longer ones are cut (the check compares values, it does not need whole essays). */
export const MAX_CELL_CHARS = 65_536;
const MISSING_WORDS = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None']);

/** Cells per block once a column outgrows its first doubling buffers. */
const BLOCK = 1 << 16;

/**
 * Builds a column cell by cell. Small columns grow by doubling up to one block; past that, full blocks are kept in
 * a list and joined once at `build`, so a column costs its cells plus at most one block, never up to twice its
 * size as plain doubling would (a 300,000-row column in a 524,288-cell buffer).
 */
export class ColumnBuilder {
  private num = new Float64Array(1024);
  private code = new Int32Array(1024);
  private blocks: { num: Float64Array; code: Int32Array }[] = [];
  /** Cells in the current buffer. */
  private at = 0;
  private readonly ids = new Map<string, number>();
  private readonly dict: string[] = [];
  private n = 0;
  private missing = 0;
  private numbers = 0;
  private strings = 0;

  constructor(readonly name: string) {}

  get length(): number {
    return this.n;
  }

  private grow(): void {
    if (this.num.length >= BLOCK) {
      this.blocks.push({ num: this.num, code: this.code });
      this.num = new Float64Array(BLOCK);
      this.code = new Int32Array(BLOCK);
      this.at = 0;
      return;
    }
    const num = new Float64Array(this.num.length * 2);
    num.set(this.num);
    this.num = num;
    const code = new Int32Array(this.code.length * 2);
    code.set(this.code);
    this.code = code;
  }

  /**
   * Room for `cells` in one buffer, when the caller can estimate the final length (a CSV file's size over the bytes
   * per row so far): a column that fits is returned without the join at `build`. No-op once blocks exist.
   */
  reserve(cells: number): void {
    if (cells <= this.num.length || this.blocks.length > 0) return;
    const num = new Float64Array(cells);
    num.set(this.num.subarray(0, this.at));
    this.num = num;
    const code = new Int32Array(cells);
    code.set(this.code.subarray(0, this.at));
    this.code = code;
  }

  /** Pads with missing cells up to `rows` (a JSON line without this key, a short CSV record). */
  padTo(rows: number): void {
    while (this.n < rows) this.pushMissing();
  }

  pushMissing(): void {
    if (this.at === this.num.length) this.grow();
    this.num[this.at] = NaN;
    this.code[this.at++] = MISSING;
    this.n++;
    this.missing++;
  }

  pushNumber(x: number): void {
    if (!Number.isFinite(x)) return this.pushString(String(x));
    if (this.at === this.num.length) this.grow();
    this.num[this.at] = x;
    this.code[this.at++] = NUMBER;
    this.n++;
    this.numbers++;
  }

  pushString(s: string): void {
    if (this.at === this.num.length) this.grow();
    const v = s.length > MAX_CELL_CHARS ? s.slice(0, MAX_CELL_CHARS) : s;
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.dict.length;
      this.ids.set(v, id);
      this.dict.push(v);
    }
    this.num[this.at] = NaN;
    this.code[this.at++] = id;
    this.n++;
    this.strings++;
  }

  /** A CSV cell: numbers are recognised by their text, missing markers by a fixed list. */
  pushText(s: string): void {
    const t = s.trim();
    if (t.length <= 4 && MISSING_WORDS.has(t)) return this.pushMissing();
    const x = Number(t);
    // Number() also reads 0x.., 0b.. and 0o..; a CSV cell written that way is text, not a number.
    if (Number.isFinite(x) && !(t.length > 1 && t.charCodeAt(0) === 48 && /^0[xXbBoO]/.test(t))) return this.pushNumber(x);
    this.pushString(s);
  }

  /** A JSON or Parquet value: types are taken as given, so a number sent as a string stays a string. */
  pushValue(v: unknown): void {
    if (v === null || v === undefined) return this.pushMissing();
    if (typeof v === 'number') return Number.isNaN(v) ? this.pushMissing() : this.pushNumber(v);
    if (typeof v === 'bigint') return this.pushNumber(Number(v));
    if (typeof v === 'string') return v === '' ? this.pushMissing() : this.pushString(v);
    if (typeof v === 'boolean') return this.pushString(v ? 'true' : 'false');
    if (v instanceof Date) return this.pushNumber(v.getTime());
    let s: string;
    try {
      s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? '';
    } catch {
      s = String(v);
    }
    this.pushString(s);
  }

  /** The column; the builder is spent afterwards. */
  build(): Column {
    let num = this.num.subarray(0, this.at);
    let code = this.code.subarray(0, this.at);
    if (this.blocks.length > 0) {
      const allNum = new Float64Array(this.n);
      const allCode = new Int32Array(this.n);
      let o = 0;
      for (const b of [...this.blocks, { num, code }]) {
        allNum.set(b.num, o);
        allCode.set(b.code, o);
        o += b.num.length;
      }
      [num, code] = [allNum, allCode];
      this.blocks = [];
    }
    this.num = new Float64Array(0);
    this.code = new Int32Array(0);
    return { name: this.name, length: this.n, num, code, dict: this.dict, missing: this.missing, numbers: this.numbers, strings: this.strings };
  }
}

/** Distinct values among at most `limit` non-missing cells (numbers and strings both count), counting no further than `stopAbove`. */
export function distinctCount(c: Column, limit = 200_000, stopAbove = Infinity): number {
  const seen = new Set<number | string>();
  let taken = 0;
  for (let i = 0; i < c.length && taken < limit && seen.size <= stopAbove; i++) {
    const k = c.code[i]!;
    if (k === MISSING) continue;
    taken++;
    seen.add(k === NUMBER ? c.num[i]! : `s${k}`);
  }
  return seen.size;
}

/**
 * The kind of a reference column: numeric when nearly all present cells are numbers; among strings, `text` when
 * values are long multi-word strings (or named by --text), `identifier` when nearly every value is distinct, else
 * `categorical`.
 */
export function kindOf(c: Column, isText: boolean): ColumnKind {
  const present = c.length - c.missing;
  if (present === 0) return 'empty';
  if (isText) return 'text';
  if (c.numbers >= 0.95 * present) return 'numeric';
  const sample = Math.min(present, 20_000);
  let words = 0;
  let seen = 0;
  for (let i = 0; i < c.length && seen < sample; i++) {
    const k = c.code[i]!;
    if (k < 0) continue;
    seen++;
    words += (c.dict[k]!.match(/\s+/g)?.length ?? 0) + 1;
  }
  const distinct = c.dict.length;
  if (seen > 0 && words / seen >= 4 && distinct > 0.3 * c.strings) return 'text';
  if (c.strings >= 50 && distinct > 0.5 * c.strings) return 'identifier';
  return 'categorical';
}

/** The string form of a cell (for categories and reports). */
export function cellText(c: Column, i: number): string | null {
  const k = c.code[i]!;
  if (k === MISSING) return null;
  if (k === NUMBER) return String(c.num[i]);
  return c.dict[k]!;
}
