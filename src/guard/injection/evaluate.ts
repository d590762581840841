import { GuardError } from '../errors.js';
import { LABELS, type InjectionLabel } from './model.js';

/** One labeled row of an evaluation set (`{"text", "label", "source"}` per JSON line). */
export interface EvalRow {
  text: string;
  label: InjectionLabel;
  source: string;
}

export interface Scored extends EvalRow {
  score: number;
  predicted: InjectionLabel;
}

export interface Metrics {
  n: number;
  flagged: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  fpr: number | null;
}

export interface EvalReport {
  threshold: number;
  overall: Metrics;
  byLabel: Record<string, Metrics & { labelAccuracy: number | null }>;
  bySource: Record<string, Metrics & { label: InjectionLabel }>;
  /** Precision, recall and false-positive rate over thresholds 0.05 … 0.95. */
  curve: { threshold: number; precision: number; recall: number; fpr: number }[];
}

/** Parses JSON Lines (blank lines skipped), naming the first line that is not JSON. */
export function jsonLines(text: string, file = 'input'): { line: number; value: unknown }[] {
  const out: { line: number; value: unknown }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    try {
      out.push({ line: i + 1, value: JSON.parse(line) });
    } catch (err) {
      throw new GuardError('GUARD_INPUT_INVALID', `${file} line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Parses JSON Lines of labeled rows, naming the first bad line. */
export function parseEvalRows(text: string, file = 'input'): EvalRow[] {
  return jsonLines(text, file).map(({ line, value }) => {
    const o = value as Partial<EvalRow> | null;
    if (typeof o !== 'object' || o === null || typeof o.text !== 'string' || !(LABELS as readonly string[]).includes(o.label as string)) {
      throw new GuardError('GUARD_INPUT_INVALID', `${file} line ${line}: expected {"text": string, "label": ${LABELS.join(' | ')}, "source"?: string}`);
    }
    return { text: o.text, label: o.label!, source: typeof o.source === 'string' ? o.source : 'unknown' };
  });
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

function metrics(pos: readonly Scored[], neg: readonly Scored[], t: number): Metrics {
  const tp = pos.filter((r) => r.score >= t).length;
  const fp = neg.filter((r) => r.score >= t).length;
  // Precision means nothing for a group with no attacks in it (benign labels and sources): left empty.
  const precision = pos.length === 0 ? null : ratio(tp, tp + fp);
  const recall = ratio(tp, pos.length);
  const f1 = precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : null;
  return { n: pos.length + neg.length, flagged: tp + fp, precision, recall, f1, fpr: ratio(fp, neg.length) };
}

/**
 * Precision, recall, F1 and false-positive rate for flagging injection-or-jailbreak, overall, per label (each attack
 * label against all benign rows) and per source (the first segment of `source`: recall for attack sources, FPR for
 * benign ones).
 */
export function evaluate(scored: readonly Scored[], threshold: number): EvalReport {
  const benign = scored.filter((r) => r.label === 'benign');
  const attacks = scored.filter((r) => r.label !== 'benign');
  const byLabel: EvalReport['byLabel'] = {};
  for (const label of LABELS) {
    const rows = scored.filter((r) => r.label === label);
    if (rows.length === 0) continue;
    const m = label === 'benign' ? metrics([], benign, threshold) : metrics(rows, benign, threshold);
    const flagged = rows.filter((r) => r.score >= threshold);
    byLabel[label] = { ...m, n: rows.length, flagged: flagged.length, labelAccuracy: label === 'benign' ? null : ratio(flagged.filter((r) => r.predicted === label).length, flagged.length) };
  }
  const bySource: EvalReport['bySource'] = {};
  const sources = [...new Set(scored.map((r) => r.source.split('/')[0]!))].sort();
  for (const s of sources) {
    const rows = scored.filter((r) => r.source.split('/')[0] === s);
    const pos = rows.filter((r) => r.label !== 'benign');
    const neg = rows.filter((r) => r.label === 'benign');
    bySource[s] = { ...metrics(pos, neg, threshold), label: (pos[0] ?? neg[0])!.label };
  }
  const curve = [];
  for (let k = 1; k <= 19; k++) {
    const t = k / 20;
    const m = metrics(attacks, benign, t);
    curve.push({ threshold: t, precision: m.precision ?? 1, recall: m.recall ?? 0, fpr: m.fpr ?? 0 });
  }
  return { threshold, overall: metrics(attacks, benign, threshold), byLabel, bySource, curve };
}

const pct = (v: number | null): string => (v === null ? '    -' : v.toFixed(3));

/** The report as aligned text tables. */
export function formatEvalReport(r: EvalReport): string {
  const lines = [`threshold ${r.threshold.toFixed(4)} (flag = injection or jailbreak)`, ''];
  const row = (name: string, m: Metrics, extra = ''): string => `${name.padEnd(32)} ${String(m.n).padStart(5)} ${String(m.flagged).padStart(7)}  ${pct(m.precision)}  ${pct(m.recall)}  ${pct(m.f1)}  ${pct(m.fpr)}${extra}`;
  const head = `${''.padEnd(32)} ${'n'.padStart(5)} ${'flagged'.padStart(7)}  ${'prec.'.padStart(5)}  ${'recall'.padStart(5)}  ${'F1'.padStart(5)}  ${'FPR'.padStart(5)}`;
  lines.push(head, row('overall', r.overall), '', 'by label (each attack label vs all benign rows)', head);
  for (const [l, m] of Object.entries(r.byLabel)) lines.push(row(l, m, m.labelAccuracy === null ? '' : `  label right ${pct(m.labelAccuracy)}`));
  lines.push('', 'by source', head);
  for (const [s, m] of Object.entries(r.bySource)) lines.push(row(`${s} (${m.label})`, m));
  lines.push('', 'precision / recall / FPR by threshold');
  for (const c of r.curve) lines.push(`  ${c.threshold.toFixed(2)}  ${c.precision.toFixed(3)}  ${c.recall.toFixed(3)}  ${c.fpr.toFixed(3)}`);
  return lines.join('\n') + '\n';
}
