import { MISSING, NUMBER, type Column, type ColumnKind } from './column.js';

/**
 * The numeric space rows are compared in: numeric columns standardized by the reference's mean and standard
 * deviation (missing or non-numeric cells at the mean), categorical columns of few values one-hot at 1/√2 so two
 * different categories are at distance 1. Identifiers, free text and the label stay out.
 */
export interface FeatureSpace {
  dims: number;
  names: string[];
  /** Writes row `row` of `cols` (aligned with the space's columns) into `out` at `offset`. */
  encode(cols: readonly Column[], row: number, out: Float64Array, offset: number): void;
  /** The columns to pass to `encode`, by name, from a table. */
  columnsOf(table: readonly Column[]): Column[];
}

const MAX_ONE_HOT = 12;
const MAX_DIMS = 128;
const HOT = Math.SQRT1_2;

type Part = { kind: 'num'; name: string; mean: number; sd: number } | { kind: 'cat'; name: string; slots: Map<string, number> };

export function featureSpace(ref: readonly Column[], kinds: ReadonlyMap<string, ColumnKind>, use: ReadonlySet<string>): FeatureSpace {
  const parts: Part[] = [];
  let dims = 0;
  const names: string[] = [];
  for (const c of ref) {
    if (!use.has(c.name) || dims >= MAX_DIMS) continue;
    const kind = kinds.get(c.name);
    if (kind === 'numeric') {
      let n = 0;
      let mean = 0;
      let m2 = 0;
      for (const x of c.num) {
        if (Number.isNaN(x)) continue;
        n++;
        const d = x - mean;
        mean += d / n;
        m2 += d * (x - mean);
      }
      if (n < 2) continue;
      const sd = Math.sqrt(m2 / (n - 1));
      parts.push({ kind: 'num', name: c.name, mean, sd: sd > 0 ? sd : 1 });
      names.push(c.name);
      dims++;
    } else if (kind === 'categorical') {
      const counts = new Map<string, number>();
      for (let i = 0; i < c.length; i++) {
        const k = c.code[i]!;
        if (k === MISSING) continue;
        const key = k === NUMBER ? String(c.num[i]) : c.dict[k]!;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      if (counts.size < 2 || counts.size > MAX_ONE_HOT || dims + counts.size > MAX_DIMS) continue;
      const slots = new Map([...counts.keys()].sort().map((k, i) => [k, i]));
      parts.push({ kind: 'cat', name: c.name, slots });
      for (const k of slots.keys()) names.push(`${c.name}=${k}`);
      dims += slots.size;
    }
  }
  return {
    dims,
    names,
    columnsOf: (table) => {
      const by = new Map(table.map((c) => [c.name, c]));
      return parts.map((p) => by.get(p.name)!);
    },
    encode: (cols, row, out, offset) => {
      let o = offset;
      for (let p = 0; p < parts.length; p++) {
        const part = parts[p]!;
        const c = cols[p]!;
        if (part.kind === 'num') {
          const x = c.num[row]!;
          out[o++] = Number.isNaN(x) ? 0 : (x - part.mean) / part.sd;
        } else {
          const k = c.code[row]!;
          const key = k === MISSING ? undefined : k === NUMBER ? String(c.num[row]) : c.dict[k]!;
          const slot = key === undefined ? undefined : part.slots.get(key);
          for (let s = 0; s < part.slots.size; s++) out[o + s] = s === slot ? HOT : 0;
          o += part.slots.size;
        }
      }
    },
  };
}

/** Encodes the given rows of a table into one row-major Float64Array. */
export function encodeRows(space: FeatureSpace, table: readonly Column[], rows: Int32Array | null, count: number): Float64Array {
  const cols = space.columnsOf(table);
  const out = new Float64Array(count * space.dims);
  for (let i = 0; i < count; i++) space.encode(cols, rows === null ? i : rows[i]!, out, i * space.dims);
  return out;
}
