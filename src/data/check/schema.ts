import { type Column, type ColumnKind } from './column.js';

export type SchemaChangeKind = 'type_change' | 'type_change_partial' | 'missing_surge' | 'column_dropped' | 'column_added' | 'out_of_domain';

export interface SchemaChange {
  column: string;
  change: SchemaChangeKind;
  /** What was seen, for people (not part of the JSON shape). */
  detail: string;
}

/** A partial type change or out-of-domain set needs at least this many cells, and this share above the reference's. */
const MIN_CELLS = 5;
const MIN_EXCESS_SHARE = 0.01;
const OOD_MIN_SHARE = 0.002;
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** The numeric range of a column's numbers. */
export function numericRange(c: Column): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const x of c.num) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { min, max };
}

/**
 * Values a numeric reference column cannot plausibly hold: negative when the reference never is, or beyond its
 * range by more than half that range (a sentinel such as -999 or 1e9, a unit change by a factor of 1000).
 */
export function outOfDomain(ref: { min: number; max: number }): (x: number) => boolean {
  const span = ref.max - ref.min > 0 ? ref.max - ref.min : Math.max(1, Math.abs(ref.max));
  const lo = ref.min >= 0 ? Math.max(-1e-12, ref.min - span / 2) : ref.min - span / 2;
  const hi = ref.max + span / 2;
  return (x) => x < lo || x > hi;
}

/** Schema changes between a trusted reference and a new batch, column by column. */
export function schemaChanges(ref: readonly Column[], cur: readonly Column[], kinds: ReadonlyMap<string, ColumnKind>): SchemaChange[] {
  const out: SchemaChange[] = [];
  const curBy = new Map(cur.map((c) => [c.name, c]));
  const refNames = new Set(ref.map((c) => c.name));
  for (const r of ref) if (!curBy.has(r.name)) out.push({ column: r.name, change: 'column_dropped', detail: 'in the reference, not in the current batch' });
  for (const c of cur) if (!refNames.has(c.name)) out.push({ column: c.name, change: 'column_added', detail: 'in the current batch, not in the reference' });
  for (const r of ref) {
    const c = curBy.get(r.name);
    const kind = kinds.get(r.name);
    if (c === undefined || kind === undefined || kind === 'empty') continue;
    const type = typeChange(r, c, kind);
    if (type !== undefined) out.push(type);
    const surge = missingSurge(r, c);
    if (surge !== undefined) out.push(surge);
    if (kind === 'numeric' && type?.change !== 'type_change') {
      const bad = outOfDomain(numericRange(r));
      let n = 0;
      for (const x of c.num) if (bad(x)) n++;
      if (n >= MIN_CELLS && n >= OOD_MIN_SHARE * Math.max(1, c.numbers)) out.push({ column: r.name, change: 'out_of_domain', detail: `${n} values outside what the reference allows (${pct(n / c.numbers)} of numbers)` });
    }
  }
  return out;
}

/** Numbers where strings were (or strings where numbers were): all of the column, or a share above the reference's. */
function typeChange(r: Column, c: Column, kind: ColumnKind): SchemaChange | undefined {
  const present = c.length - c.missing;
  if (present === 0) return undefined;
  const numeric = kind === 'numeric';
  const refOff = numeric ? r.strings : r.numbers;
  const curOff = numeric ? c.strings : c.numbers;
  const refShare = refOff / Math.max(1, r.length - r.missing);
  const curShare = curOff / present;
  const was = numeric ? 'numbers' : 'strings';
  const now = numeric ? 'strings' : 'numbers';
  if (curShare > 0.5 && refShare < 0.5) return { column: r.name, change: 'type_change', detail: `${was} in the reference, ${pct(curShare)} ${now} now` };
  if (curShare - refShare >= MIN_EXCESS_SHARE && curOff - refShare * present >= MIN_CELLS) return { column: r.name, change: 'type_change_partial', detail: `${curOff} ${now} in a column of ${was} (${pct(curShare)} now, ${pct(refShare)} in the reference)` };
  return undefined;
}

/** Missing cells well above the reference's rate: at least 2 points and double it, and beyond chance (z ≥ 4). */
function missingSurge(r: Column, c: Column): SchemaChange | undefined {
  const m0 = r.missing / Math.max(1, r.length);
  const m1 = c.missing / Math.max(1, c.length);
  if (m1 - m0 < Math.max(0.02, m0)) return undefined;
  const p = (r.missing + c.missing) / (r.length + c.length);
  const z = (m1 - m0) / Math.sqrt(Math.max(1e-12, p * (1 - p) * (1 / r.length + 1 / c.length)));
  return z >= 4 ? { column: r.name, change: 'missing_surge', detail: `${pct(m1)} missing now, ${pct(m0)} in the reference` } : undefined;
}
