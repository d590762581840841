import { DataError } from '../errors.js';
import { kindOf, type ColumnKind } from './column.js';
import { driftOf, type ColumnDrift, type Severity } from './drift.js';
import { Evidence, type FlaggedRow } from './evidence.js';
import { featureSpace } from './features.js';
import { checkRows, labelIds, rng, sampleIndices, type PoisonStats } from './poison.js';
import type { Table } from './read-table.js';
import { schemaChanges, type SchemaChange } from './schema.js';
import { textNearDuplicates, type TextDuplicateStats } from './text-duplicates.js';
import { findTriggers, type Trigger } from './triggers.js';

export type Verdict = 'poisoning' | 'schema' | 'drift' | 'clean';

export interface CheckOptions {
  /** The label column (label conflicts, one-label duplicate clusters, triggers). */
  label?: string;
  /** A free-text column (backdoor triggers). */
  text?: string;
  /** Rows of the reference indexed for nearest neighbours (default 200,000). */
  maxReference?: number;
  seed?: number;
  /** Progress of the row checks. */
  onRows?: (done: number, total: number) => void;
}

export interface CheckReport {
  verdict: Verdict;
  drift: ColumnDrift[];
  schema: SchemaChange[];
  rows: FlaggedRow[];
  triggers: Trigger[];
  summary: { referenceRows: number; currentRows: number; kinds: Record<string, ColumnKind>; features: string[]; poison: PoisonStats; textDuplicates?: TextDuplicateStats };
}

const ALARMING: ReadonlySet<Severity> = new Set(['medium', 'high']);

/** The verdict by precedence: poisoning > schema > drift (medium or higher) > clean. */
export function verdictOf(r: Pick<CheckReport, 'drift' | 'schema' | 'rows' | 'triggers'>): Verdict {
  if (r.rows.length > 0 || r.triggers.length > 0) return 'poisoning';
  if (r.schema.length > 0) return 'schema';
  if (r.drift.some((d) => ALARMING.has(d.severity))) return 'drift';
  return 'clean';
}

/**
 * Checks a new batch against a trusted reference: schema, drift per column, and poisoning row by row. Columns with
 * a schema change stay out of the row checks (their cells are already explained), so a sentinel value written into
 * a whole column is reported once as a schema change rather than as thousands of odd rows.
 */
export function checkTables(ref: Table, cur: Table, options: CheckOptions = {}): CheckReport {
  const curNames = new Set(cur.columns.map((c) => c.name));
  const common = ref.columns.filter((c) => curNames.has(c.name));
  if (common.length === 0) throw new DataError('DATA_CHECK_NO_COMMON_COLUMNS', `${ref.path} and ${cur.path} share no column names; check that both have the same header (or JSON keys)`);
  for (const [flag, name] of [['--label', options.label], ['--text', options.text]] as const) {
    if (name === undefined) continue;
    if (!common.some((c) => c.name === name)) throw new DataError('DATA_CHECK_COLUMN_UNKNOWN', `${flag} ${name}: no such column in both files; columns in both: ${common.map((c) => c.name).join(', ')}`);
  }
  const kinds = new Map<string, ColumnKind>();
  for (const c of ref.columns) kinds.set(c.name, kindOf(c, c.name === options.text));
  if (options.label !== undefined && kinds.get(options.label) !== 'numeric') kinds.set(options.label, 'categorical');

  const schema = schemaChanges(ref.columns, cur.columns, kinds);
  const changed = new Set(schema.map((s) => s.column));
  const wholeTypeChange = new Set(schema.filter((s) => s.change === 'type_change').map((s) => s.column));
  const drift = driftOf(ref.columns, cur.columns, kinds, wholeTypeChange);

  const evidence = new Evidence();
  const use = new Set(common.map((c) => c.name).filter((n) => n !== options.label && n !== options.text && !changed.has(n)));
  const space = featureSpace(ref.columns, kinds, use);
  const poison = checkRows(ref.columns, cur.columns, cur.rows, space, options.label, evidence, {
    ...(options.maxReference === undefined ? {} : { maxReference: options.maxReference }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.onRows === undefined ? {} : { onRows: options.onRows }),
  });
  let triggers: Trigger[] = [];
  const col = (t: Table, n: string) => t.columns.find((c) => c.name === n);
  let textDuplicates: TextDuplicateStats | undefined;
  if (options.text !== undefined && !changed.has(options.text)) {
    const labels = new Map<string, number>();
    const curLabel = labelIds(options.label === undefined ? undefined : col(cur, options.label), cur.rows, labels);
    const refSample = sampleIndices(ref.rows, Math.min(options.maxReference ?? 200_000, 1 << 18), rng((options.seed ?? 1) + 1));
    textDuplicates = textNearDuplicates(col(ref, options.text), refSample, col(cur, options.text)!, cur.rows, curLabel, [...labels.keys()], evidence);
  }
  if (options.text !== undefined && options.label !== undefined && !changed.has(options.text)) {
    triggers = findTriggers(col(ref, options.text), col(ref, options.label), col(cur, options.text)!, col(cur, options.label)!, cur.rows, evidence);
  }
  const rows = evidence.flagged();
  const report = { drift, schema, rows, triggers };
  return { verdict: verdictOf(report), ...report, summary: { referenceRows: ref.rows, currentRows: cur.rows, kinds: Object.fromEntries(kinds), features: space.names, poison, ...(textDuplicates === undefined ? {} : { textDuplicates }) } };
}

/** The report in the documented JSON shape: verdict, drift, schema, rows (at or above the alarm), triggers. */
export function reportJson(r: CheckReport): object {
  const round = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);
  return {
    verdict: r.verdict,
    drift: r.drift.map((d) => ({ column: d.column, test: d.test, statistic: round(d.statistic), pValue: d.pValue === null ? null : round(d.pValue), effect: round(d.effect), severity: d.severity })),
    schema: r.schema.map((s) => ({ column: s.column, change: s.change })),
    rows: r.rows,
    triggers: r.triggers,
  };
}
