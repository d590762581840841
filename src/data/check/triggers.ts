import { cellText, type Column } from './column.js';
import type { Evidence } from './evidence.js';
import { binomialSf } from './stats.js';

export interface Trigger {
  /** The token or phrase (lower case, tokens joined by one space). */
  text: string;
  /** The label it predicts. */
  label: string;
  /** Rows of the current batch that hold it with that label. */
  rows: number[];
}

const MAX_NGRAM = 3;
const MIN_SUPPORT = 5;
const MIN_PURITY = 0.9;
const ALPHA = 1e-3;
/** A phrase counts as new when it is at least this many times more frequent per row than in the reference. */
const OVER_REFERENCE = 4;
const MAX_VOCABULARY = 2_000_000;
const MAX_TOKENS_PER_ROW = 512;

/** Word tokens in lower case (letters and digits of any script), at most MAX_TOKENS_PER_ROW of them. */
export function tokens(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_TOKENS_PER_ROW).map((t) => t.slice(0, 40));
}

/** The distinct 1- to 3-grams of a text. */
function grams(text: string): Set<string> {
  const t = tokens(text);
  const out = new Set<string>();
  for (let n = 1; n <= MAX_NGRAM; n++) for (let i = 0; i + n <= t.length; i++) out.add(t.slice(i, i + n).join(' '));
  return out;
}

function labelsOf(c: Column | undefined, n: number): (string | null)[] {
  return Array.from({ length: n }, (_, i) => (c === undefined ? null : cellText(c, i)));
}

/**
 * Backdoor triggers in a text column (after the Z-defence of He et al., EMNLP 2023): an n-gram that appears in at
 * least five rows and whose rows carry one label at ≥ 90%, beyond chance (binomial tail against that label's share,
 * Bonferroni over the n-grams tested, 1e-3), and that the reference does not explain: it is four times rarer there
 * per row, or does not predict that label there. Rare words spread over labels fail the first test; words that
 * carry a label naturally fail the second. A phrase replaces its own parts when it covers most of their rows.
 */
export function findTriggers(refText: Column | undefined, refLabel: Column | undefined, curText: Column, curLabel: Column, curRows: number, evidence: Evidence): Trigger[] {
  const labels = labelsOf(curLabel, curRows);
  const labelCount = new Map<string, number>();
  let labelled = 0;
  for (const l of labels)
    if (l !== null) {
      labelCount.set(l, (labelCount.get(l) ?? 0) + 1);
      labelled++;
    }
  if (labelCount.size < 2) return [];
  const labelIds = new Map([...labelCount.keys()].map((l, i) => [l, i]));
  const L = labelIds.size;
  // counts[gram] = [rows, rows with label 0, …]
  const counts = new Map<string, Int32Array>();
  for (let i = 0; i < curRows; i++) {
    const l = labels[i];
    const t = cellText(curText, i);
    if (l === null || l === undefined || t === null) continue;
    const li = labelIds.get(l)!;
    for (const g of grams(t)) {
      let c = counts.get(g);
      if (c === undefined) {
        if (counts.size >= MAX_VOCABULARY) prune(counts);
        c = new Int32Array(L + 1);
        counts.set(g, c);
      }
      c[0]!++;
      c[li + 1]!++;
    }
  }
  const names = [...labelIds.keys()];
  const candidates = new Map<string, { label: number; n: number; k: number }>();
  let tested = 0;
  for (const c of counts.values()) if (c[0]! >= MIN_SUPPORT) tested++;
  for (const [g, c] of counts) {
    if (c[0]! < MIN_SUPPORT) continue;
    let top = 0;
    for (let l = 1; l < L; l++) if (c[l + 1]! > c[top + 1]!) top = l;
    const k = c[top + 1]!;
    if (k / c[0]! < MIN_PURITY) continue;
    const p0 = labelCount.get(names[top]!)! / labelled;
    if (binomialSf(k, c[0]!, p0) < ALPHA / Math.max(1, tested * L)) candidates.set(g, { label: top, n: c[0]!, k });
  }
  if (candidates.size === 0) return [];

  // How the reference uses the candidates.
  const refCounts = new Map<string, [rows: number, withLabel: number]>();
  let refRows = 0;
  if (refText !== undefined) {
    for (let i = 0; i < refText.length; i++) {
      const t = cellText(refText, i);
      if (t === null) continue;
      refRows++;
      const l = refLabel === undefined ? null : cellText(refLabel, i);
      for (const g of grams(t)) {
        const cand = candidates.get(g);
        if (cand === undefined) continue;
        const rc = refCounts.get(g) ?? [0, 0];
        rc[0]++;
        if (l === names[cand.label]) rc[1]++;
        refCounts.set(g, rc);
      }
    }
  }
  for (const [g, cand] of [...candidates]) {
    const [rn, rk] = refCounts.get(g) ?? [0, 0];
    const rarer = cand.n / labelled >= (OVER_REFERENCE * (rn + 1)) / (refRows + 1);
    const refPredicts = rn >= MIN_SUPPORT && rk / rn >= MIN_PURITY - 0.2;
    if (!rarer && refPredicts) candidates.delete(g);
  }

  // Keep a phrase over its parts when it covers most of their rows; otherwise the part is the trigger.
  const kept = [...candidates.keys()].filter((g) => {
    const c = candidates.get(g)!;
    for (const [h, d] of candidates) {
      if (h === g || d.label !== c.label) continue;
      if (` ${h} `.includes(` ${g} `) && d.n >= 0.8 * c.n) return false;
      if (` ${g} `.includes(` ${h} `) && c.n < 0.8 * d.n) return false;
    }
    return true;
  });

  const triggers: Trigger[] = kept.map((g) => ({ text: g, label: names[candidates.get(g)!.label]!, rows: [] }));
  const byText = new Map(triggers.map((t) => [t.text, t]));
  for (let i = 0; i < curRows; i++) {
    const t = cellText(curText, i);
    if (t === null) continue;
    const gs = grams(t);
    for (const [g, trig] of byText) if (gs.has(g) && labels[i] === trig.label) trig.rows.push(i);
  }
  for (const t of triggers) {
    const c = candidates.get(t.text)!;
    for (const r of t.rows) evidence.add(r, 0.5 + 0.5 * (c.k / c.n), `backdoor_trigger: holds '${t.text}', which appears in ${c.n} rows, ${c.k} of them labelled '${t.label}'`);
  }
  return triggers.sort((a, b) => b.rows.length - a.rows.length);
}

/** Drops n-grams seen once (lossy counting) when the vocabulary outgrows its bound. */
function prune(counts: Map<string, Int32Array>): void {
  for (const [g, c] of counts) if (c[0]! <= 1) counts.delete(g);
}
