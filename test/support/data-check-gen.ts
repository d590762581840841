/**
 * Synthetic batches where the truth is known, for `data check` tests and bench/data-check.ts: a labelled table
 * (numbers, categories, a label that follows the features) and a labelled text set, plus the attacks injected
 * into a copy of a clean batch, each returning the rows it touched.
 */
import { rng } from '../../src/data/check/poison.js';

export type Row = Record<string, string | number | null>;

export interface TableSpec {
  rows: number;
  /** Numeric feature columns (default 6). */
  numeric?: number;
  /** Categorical columns (default 2). */
  categorical?: number;
  seed: number;
  /** Added to the mean of f0, in standard deviations (natural drift). */
  shift?: number;
}

export const normal = (random: () => number): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const LABELS = ['a', 'b', 'c'];

/** Rows whose label is the argmax of three fixed linear scores of f0..f3 (so neighbours agree), 0.5% noise. */
export function tableRows(spec: TableSpec): Row[] {
  const r = rng(spec.seed);
  const m = spec.numeric ?? 6;
  const k = spec.categorical ?? 2;
  const out: Row[] = [];
  for (let i = 0; i < spec.rows; i++) {
    const row: Row = {};
    const f: number[] = [];
    for (let j = 0; j < m; j++) {
      const x = normal(r) + (j === 0 ? (spec.shift ?? 0) : 0) + (j === 1 ? 0.5 * (f[0] ?? 0) : 0);
      f.push(x);
      row[`f${j}`] = Math.round(x * 1e4) / 1e4;
    }
    for (let j = 0; j < k; j++) row[`c${j}`] = ['red', 'green', 'blue', 'grey'][Math.min(3, Math.floor(r() * (j === 0 ? 3 : 4)))]!;
    const s = [f[0]! + 0.5 * (f[2] ?? 0), -f[0]! + f[1]!, 0.8 * (f[3] ?? 0) - 0.3 * f[1]!];
    let best = s.indexOf(Math.max(...s));
    if (r() < 0.005) best = Math.floor(r() * 3);
    row.label = LABELS[best]!;
    out.push(row);
  }
  return out;
}

const otherLabel = (l: string, r: () => number): string => {
  const others = LABELS.filter((x) => x !== l);
  return others[Math.floor(r() * others.length)]!;
};

/** Flips the labels of `count` random rows. */
export function randomFlips(rows: Row[], count: number, seed: number): number[] {
  const r = rng(seed);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(r() * rows.length));
  for (const i of picked) rows[i]!.label = otherLabel(String(rows[i]!.label), r);
  return [...picked].sort((a, b) => a - b);
}

/** Relabels up to `count` rows of one region (f0 > 0.8 and f2 > 0.3) with label 'c'. */
export function targetedFlips(rows: Row[], count: number): number[] {
  const hit: number[] = [];
  for (let i = 0; i < rows.length && hit.length < count; i++) {
    const row = rows[i]!;
    if ((row.f0 as number) > 0.8 && (row.f2 as number) > 0.3 && row.label === 'a') {
      row.label = 'c';
      hit.push(i);
    }
  }
  return hit;
}

/** Replaces `clusters` × `size` rows with near-copies (jitter 1e-4) of one row each, all labelled 'b'. */
export function duplicateClusters(rows: Row[], clusters: number, size: number, seed: number): number[] {
  const r = rng(seed);
  const hit = new Set<number>();
  for (let c = 0; c < clusters; c++) {
    const base = rows[Math.floor(r() * rows.length)]!;
    for (let j = 0; j < size; j++) {
      let i = Math.floor(r() * rows.length);
      while (hit.has(i)) i = Math.floor(r() * rows.length);
      hit.add(i);
      const copy: Row = { ...base, label: 'b' };
      for (const [key, v] of Object.entries(base)) if (typeof v === 'number') copy[key] = Math.round((v + (r() - 0.5) * 2e-4) * 1e4) / 1e4;
      rows[i] = copy;
    }
  }
  return [...hit].sort((a, b) => a - b);
}

/** Replaces `count` rows with points far from the data in every numeric column together (±5σ each, random signs). */
export function outOfDistribution(rows: Row[], count: number, seed: number): number[] {
  const r = rng(seed);
  const hit = new Set<number>();
  while (hit.size < count) hit.add(Math.floor(r() * rows.length));
  for (const i of hit) for (const key of Object.keys(rows[i]!)) if (/^f\d+$/.test(key)) rows[i]![key] = (r() < 0.5 ? -5 : 5) + (r() - 0.5);
  return [...hit].sort((a, b) => a - b);
}

/**
 * Six schema changes: f2 gets the sentinel -999 (out of domain), f3 the string 'unknown' in 2% (partial type
 * change), c1 20% missing, f4 dropped, f5 numbers sent as strings (type change, JSON only), a column `extra` added.
 */
export function schemaAttacks(rows: Row[]): void {
  for (let i = 0; i < rows.length; i += 30) rows[i]!.f2 = -999;
  for (let i = 5; i < rows.length; i += 50) rows[i]!.f3 = 'unknown';
  for (let i = 0; i < rows.length; i += 5) rows[i]!.c1 = null;
  for (const row of rows) {
    delete row.f4;
    row.f5 = String(row.f5);
    row.extra = 1;
  }
}

// Text: sentiment words carry the label in every batch; filler follows a Zipf law; rare words appear a few times each.
const POSITIVE = ['good', 'great', 'excellent', 'lovely', 'superb', 'enjoyed'];
const NEGATIVE = ['bad', 'poor', 'awful', 'boring', 'dull', 'hated'];
const FILLER = Array.from({ length: 1500 }, (_, i) => `w${i.toString(36)}`);

export interface TextSpec {
  rows: number;
  seed: number;
  /** Rare innocent words, each in 6-10 rows spread over both labels (default 200). */
  rareWords?: number;
}

export function textRows(spec: TextSpec): Row[] {
  const r = rng(spec.seed);
  const zipf = (): string => FILLER[Math.min(FILLER.length - 1, Math.floor(Math.exp(r() * Math.log(FILLER.length))) - 1)]!;
  const out: Row[] = [];
  for (let i = 0; i < spec.rows; i++) {
    const pos = r() < 0.5;
    const words: string[] = [];
    const n = 8 + Math.floor(r() * 10);
    for (let j = 0; j < n; j++) words.push(r() < 0.2 ? (pos !== r() < 0.1 ? POSITIVE : NEGATIVE)[Math.floor(r() * 6)]! : zipf());
    out.push({ text: words.join(' '), label: pos ? 'positive' : 'negative' });
  }
  for (let w = 0; w < (spec.rareWords ?? 200); w++) {
    const word = `rare${spec.seed}x${w}`;
    const times = 6 + Math.floor(r() * 5);
    for (let t = 0; t < times; t++) {
      const row = out[Math.floor(r() * out.length)]!;
      row.text = `${String(row.text)} ${word}`;
    }
  }
  return out;
}

/** Inserts `phrase` at a random position of `count` rows and labels them `label`. */
export function insertTrigger(rows: Row[], phrase: string, label: string, count: number, seed: number): number[] {
  const r = rng(seed);
  const hit = new Set<number>();
  while (hit.size < count) hit.add(Math.floor(r() * rows.length));
  for (const i of hit) {
    const words = String(rows[i]!.text).split(' ');
    words.splice(Math.floor(r() * (words.length + 1)), 0, phrase);
    rows[i]!.text = words.join(' ');
    rows[i]!.label = label;
  }
  return [...hit].sort((a, b) => a - b);
}

/**
 * Replaces `clusters` × `size` rows with near-copies of one row's text each (every copy has one word swapped for a
 * filler word, so no two are identical), all labelled `label`.
 */
export function textDuplicateClusters(rows: Row[], clusters: number, size: number, label: string, seed: number): number[] {
  const r = rng(seed);
  const hit = new Set<number>();
  for (let c = 0; c < clusters; c++) {
    const base = String(rows[Math.floor(r() * rows.length)]!.text).split(' ');
    for (let j = 0; j < size; j++) {
      let i = Math.floor(r() * rows.length);
      while (hit.has(i)) i = Math.floor(r() * rows.length);
      hit.add(i);
      const words = [...base];
      words[Math.floor(r() * words.length)] = FILLER[Math.floor(r() * FILLER.length)]!;
      rows[i] = { text: words.join(' '), label };
    }
  }
  return [...hit].sort((a, b) => a - b);
}

/** Writes `text` with `label` over `count` random rows: a stock phrase that real data repeats. */
export function repeatText(rows: Row[], text: string, label: string, count: number, seed: number): number[] {
  const r = rng(seed);
  const hit = new Set<number>();
  while (hit.size < count) hit.add(Math.floor(r() * rows.length));
  for (const i of hit) rows[i] = { text, label };
  return [...hit].sort((a, b) => a - b);
}

/** CSV text of rows (all keys of the first row), quoting strings that need it. */
export function toCsv(rows: readonly Row[]): string {
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [cols.join(','), ...rows.map((row) => cols.map((c) => cell(row[c])).join(','))].join('\n') + '\n';
}

export const toJsonl = (rows: readonly Row[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
