import type { ScanContext } from '../context.js';

/** Distinct findings listed per rule by default; the rest are counted in one closing finding. */
export const MAX_REPORTS_PER_RULE = 25;

/**
 * Reports each finding once per key and at most `cap` per rule, so a model with 10,000 tensors pointing at
 * `../../etc/passwd` yields one finding, and a hostile file cannot flood the report.
 */
export class CappedReporter {
  private readonly reported = new Set<string>();
  private readonly perRule = new Map<string, number>();
  private readonly unlisted = new Map<string, number>();

  constructor(
    private readonly ctx: ScanContext,
    private readonly cap = MAX_REPORTS_PER_RULE,
  ) {}

  report(rule: string, key: string, message: string, offset?: number): void {
    const id = `${rule}\0${key}`;
    if (this.reported.has(id)) return;
    const n = this.perRule.get(rule) ?? 0;
    if (n >= this.cap) {
      this.unlisted.set(rule, (this.unlisted.get(rule) ?? 0) + 1);
      return;
    }
    this.reported.add(id);
    this.perRule.set(rule, n + 1);
    this.ctx.report(rule, message, offset === undefined ? {} : { offset });
  }

  /** Adds one finding per rule that hit the cap, saying how many more were seen. */
  flush(): void {
    for (const [rule, n] of this.unlisted) this.ctx.report(rule, `${n} more findings of this rule were not listed`);
    this.unlisted.clear();
  }
}

/** Makes a string from the file safe for a one-line message: control characters escaped, length capped. */
export function printable(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
