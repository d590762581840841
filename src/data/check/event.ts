import type { CheckReport, Verdict } from './check.js';

/** The audit event type `palisade data check` records (docs/audit-events.md). */
export const DATA_CHECKED = 'data.checked';

/** A dataset as the event names it: its path as shown and its manifest root digest (palisade data snapshot). */
export interface CheckedDataset {
  path: string;
  rootDigest: string;
}

/** The `data` of a `data.checked` audit entry. */
export interface CheckedEventData {
  verdict: Verdict;
  reference: CheckedDataset;
  current: CheckedDataset;
  schema: number;
  drifted: string[];
  rows: number;
  triggers: string[];
}

export function checkedEventData(r: CheckReport, reference: CheckedDataset, current: CheckedDataset): CheckedEventData {
  return {
    verdict: r.verdict,
    reference,
    current,
    schema: r.schema.length,
    drifted: r.drift.filter((d) => d.severity === 'medium' || d.severity === 'high').map((d) => d.column),
    rows: r.rows.length,
    triggers: r.triggers.map((t) => t.text),
  };
}

const VERDICTS: ReadonlySet<string> = new Set<Verdict>(['poisoning', 'schema', 'drift', 'clean']);

/** The verdict and the checked batch's digest of a `data.checked` entry's data, or undefined when it is not one. */
export function readCheckedEvent(data: unknown): { verdict: Verdict; current: string; reference: string } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const digest = (x: unknown): string | undefined => {
    const v = typeof x === 'object' && x !== null ? (x as Record<string, unknown>).rootDigest : undefined;
    return typeof v === 'string' ? v : undefined;
  };
  const current = digest(d.current);
  const reference = digest(d.reference);
  if (typeof d.verdict !== 'string' || !VERDICTS.has(d.verdict) || current === undefined || reference === undefined) return undefined;
  return { verdict: d.verdict as Verdict, current, reference };
}
