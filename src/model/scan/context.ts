import type { FindingLocation } from '../../core/finding.js';
import type { Blob } from './blob.js';
import type { ScanLimits } from './limits.js';
import type { GlobalPolicy } from './pickle/policy.js';
import { ruleMeta } from './rules.js';
import type { ScanFinding, ScanFormat } from './types.js';

/** Findings listed per rule per file; the rest are counted (see `finish`). */
export const MAX_FINDINGS_PER_RULE = 100;

export interface FileBudget {
  inflated: number;
  perRule: Map<string, number>;
  unlisted: Map<string, number>;
}

/** Scans a member of a container: detects its format and runs the matching scanner. */
export type MemberScanner = (blob: Blob, ctx: ScanContext) => Promise<ScanFormat>;

/**
 * What a format scanner gets besides the bytes: where it is (member path and depth), the pickle policy, the
 * limits, a way to report, and a way to hand a member back to format detection (for archives in archives).
 */
export class ScanContext {
  constructor(
    private readonly sink: ScanFinding[],
    readonly policy: GlobalPolicy,
    readonly limits: ScanLimits,
    private readonly dispatch: MemberScanner,
    readonly member: string | undefined = undefined,
    readonly depth = 0,
    /** Shared across one file's whole tree of members: decompressed bytes so far (bomb guard), findings per rule. */
    readonly budget: FileBudget = { inflated: 0, perRule: new Map(), unlisted: new Map() },
  ) {}

  /** Records a finding of `rule` (its severity comes from the rule table); `member` defaults to this context's. */
  report(rule: string, message: string, location: FindingLocation = {}): void {
    const meta = ruleMeta(rule);
    // A hostile archive of 100,000 traversal names must cost 100,000 checks, not 100,000 findings.
    const n = (this.budget.perRule.get(rule) ?? 0) + 1;
    this.budget.perRule.set(rule, n);
    if (n > MAX_FINDINGS_PER_RULE) {
      this.budget.unlisted.set(rule, (this.budget.unlisted.get(rule) ?? 0) + 1);
      return;
    }
    const loc: FindingLocation = {};
    const member = location.member ?? this.member;
    if (member !== undefined) loc.member = member;
    if (location.offset !== undefined) loc.offset = location.offset;
    if (location.opcode !== undefined) loc.opcode = location.opcode;
    this.sink.push({ rule, severity: meta.severity, message, location: loc });
  }

  /** Adds, once per rule that passed the cap, a finding saying how many more were not listed. */
  finish(): void {
    for (const [rule, n] of this.budget.unlisted) {
      this.sink.push({ rule, severity: ruleMeta(rule).severity, message: `${n} more findings of this rule were not listed`, location: {} });
    }
    this.budget.unlisted.clear();
  }

  /** The path of a member of the current container, as findings show it (`outer.zip!inner.pkl`). */
  memberPath(name: string): string {
    return this.member === undefined ? name : `${this.member}!${name}`;
  }

  /** The context for a member of the current container. */
  child(name: string): ScanContext {
    const member = this.memberPath(name);
    return new ScanContext(this.sink, this.policy, this.limits, this.dispatch, member, this.depth + 1, this.budget);
  }

  /**
   * Detects and scans a member. Past `maxDepth` the member is reported, not opened, so archive nesting cannot
   * recurse without bound.
   */
  async scanMember(name: string, blob: Blob): Promise<ScanFormat> {
    const ctx = this.child(name);
    if (ctx.depth > this.limits.maxDepth) {
      ctx.report('archive-too-deep', `nested more than ${this.limits.maxDepth} containers deep; not opened`);
      return 'other';
    }
    return this.dispatch(blob, ctx);
  }

  /** Counts decompressed bytes against the per-file budget; false once it is spent. */
  spend(bytes: number): boolean {
    this.budget.inflated += bytes;
    return this.budget.inflated <= this.limits.maxTotalInflated;
  }
}
