import type { ScanContext } from '../context.js';
import { FINDINGS_PER_RULE, FindingBudget } from './finding-budget.js';

export { printable } from './finding-budget.js';

/**
 * Reports each finding once per key (a model with 10,000 tensors pointing at `../../etc/passwd` yields one
 * finding per distinct path), on top of the per-rule budget that keeps a hostile file from flooding the report.
 */
export class CappedReporter {
  private readonly reported = new Set<string>();
  private readonly budget: FindingBudget;

  constructor(ctx: Pick<ScanContext, 'report'>) {
    this.budget = new FindingBudget(ctx);
  }

  report(rule: string, key: string, message: string, offset?: number): void {
    const id = `${rule}\0${key}`;
    if (this.reported.has(id)) return;
    // Past the budget a finding is only counted, so its key need not be remembered: memory stays bounded.
    if (this.budget.count(rule) < FINDINGS_PER_RULE) this.reported.add(id);
    this.budget.report(rule, message, offset === undefined ? {} : { offset });
  }

  /** Adds one finding per rule that hit the budget, saying how many more were seen. */
  flush(): void {
    this.budget.flush();
  }
}
