import type { FindingLocation } from '../../core/finding.js';
import type { Blob } from './blob.js';
import type { ScanLimits } from './limits.js';
import type { GlobalPolicy } from './pickle/policy.js';
import { ruleMeta } from './rules.js';
import type { ScanFinding, ScanFormat } from './types.js';

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
    /** Shared across one file's whole tree of members: decompressed bytes so far (bomb guard). */
    readonly budget = { inflated: 0 },
  ) {}

  /** Records a finding of `rule` (its severity comes from the rule table); `member` defaults to this context's. */
  report(rule: string, message: string, location: FindingLocation = {}): void {
    const meta = ruleMeta(rule);
    const loc: FindingLocation = {};
    const member = location.member ?? this.member;
    if (member !== undefined) loc.member = member;
    if (location.offset !== undefined) loc.offset = location.offset;
    if (location.opcode !== undefined) loc.opcode = location.opcode;
    this.sink.push({ rule, severity: meta.severity, message, location: loc });
  }

  /** The context for a member of the current container. */
  child(name: string): ScanContext {
    const member = this.member === undefined ? name : `${this.member}!${name}`;
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
