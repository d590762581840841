import type { FindingLocation } from '../../../core/finding.js';
import type { ScanContext } from '../context.js';

/** Findings kept per rule per file before the rest are only counted. */
export const FINDINGS_PER_RULE = 20;

/**
 * Caps the findings one header can produce. A crafted header with a million bad tensors must cost a million checks,
 * not a million findings in the report: after `FINDINGS_PER_RULE` of one rule the rest are counted, and `flush`
 * reports the count once.
 */
export class FindingBudget {
  private readonly counts = new Map<string, number>();
  private readonly firstOffset = new Map<string, number | undefined>();

  /** `sink` is the scan context, or anything else that takes reports (a buffer, to hold findings back). */
  constructor(private readonly ctx: Pick<ScanContext, 'report'>) {}

  report(rule: string, message: string, location: FindingLocation = {}): void {
    const n = (this.counts.get(rule) ?? 0) + 1;
    this.counts.set(rule, n);
    if (n <= FINDINGS_PER_RULE) this.ctx.report(rule, message, location);
    else if (n === FINDINGS_PER_RULE + 1) this.firstOffset.set(rule, location.offset);
  }

  /** How many times `rule` fired, reported or not. */
  count(rule: string): number {
    return this.counts.get(rule) ?? 0;
  }

  /** Reports, once per capped rule, how many findings were left out. */
  flush(): void {
    for (const [rule, n] of this.counts) {
      if (n <= FINDINGS_PER_RULE) continue;
      const offset = this.firstOffset.get(rule);
      this.ctx.report(
        rule,
        `${n - FINDINGS_PER_RULE} more findings of this rule in the same file were not listed`,
        offset === undefined ? {} : { offset },
      );
    }
    this.counts.clear();
  }
}

/** Quotes a name taken from the file for a message: bounded length, control characters escaped. */
export function quoteName(name: string, max = 80): string {
  const cut = name.length > max ? `${name.slice(0, max)}…` : name;
  return JSON.stringify(cut);
}

/** Makes a string from the file safe for a one-line message: control characters escaped, length capped. */
export function printable(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
