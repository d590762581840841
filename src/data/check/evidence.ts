/** Per-row evidence of poisoning: each reason carries a score in [0, 1]; a row's score is its strongest reason's. */
export const ALARM = 0.5;

export interface FlaggedRow {
  row: number;
  score: number;
  reasons: string[];
}

export class Evidence {
  private readonly rows = new Map<number, { score: number; reasons: string[] }>();

  add(row: number, score: number, reason: string): void {
    const s = Math.min(1, Math.max(0, score));
    const e = this.rows.get(row);
    if (e === undefined) this.rows.set(row, { score: s, reasons: [reason] });
    else {
      e.score = Math.max(e.score, s);
      e.reasons.push(reason);
    }
  }

  /** Rows at or above the alarm threshold, by row index. */
  flagged(): FlaggedRow[] {
    return [...this.rows.entries()]
      .filter(([, e]) => e.score >= ALARM)
      .sort((a, b) => a[0] - b[0])
      .map(([row, e]) => ({ row, score: Math.round(e.score * 1000) / 1000, reasons: e.reasons }));
  }
}

/** Maps evidence to a score: exactly ALARM at the threshold, 1 at twice it. */
export const scoreAt = (value: number, threshold: number): number => Math.min(1, (ALARM * value) / threshold);
