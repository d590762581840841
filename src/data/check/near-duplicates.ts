import { scoreAt, type Evidence } from './evidence.js';

/** Fewest near-identical rows that make a cluster. */
export const MIN_CLUSTER = 5;

/**
 * Flags a cluster of near-identical rows when all of them, or all but a tenth (the row the copies were made from
 * may keep its own), carry one label. `label` holds label ids per row (-1: none), `labelName` their names.
 */
export function flagOneLabelCluster(members: readonly number[], label: Int32Array, labelName: readonly string[], evidence: Evidence, what: string): void {
  if (members.length < MIN_CLUSTER) return;
  const byLabel = new Map<number, number[]>();
  for (const r of members) {
    const l = label[r]!;
    const list = byLabel.get(l);
    if (list === undefined) byLabel.set(l, [r]);
    else list.push(r);
  }
  const [l, same] = [...byLabel.entries()].sort((x, y) => y[1].length - x[1].length)[0]!;
  if (same.length < MIN_CLUSTER || same.length < 0.9 * members.length) return;
  for (const r of same) evidence.add(r, scoreAt(members.length, MIN_CLUSTER), `near_duplicate_cluster: one of ${same.length} ${what}${l >= 0 ? `, all labelled '${labelName[l]}'` : ''} (rows ${same.slice(0, 5).join(', ')}${same.length > 5 ? ', …' : ''})`);
}
