import type { Severity } from '../../core/finding.js';
import type { RuleImpact } from './types.js';

/** Metadata of one scanner rule; the id is the key it is registered under and is never renamed or reused. */
export interface RuleMeta {
  severity: Severity;
  impact: RuleImpact;
  /** One line: what the rule detects (used in SARIF `shortDescription` and docs). */
  title: string;
  /** Why it matters and what to do (SARIF `help`). */
  help: string;
}

export type RuleTable = Record<string, RuleMeta>;

/** Identity helper that keeps the literal keys of a rule table for type-checked rule ids. */
export function defineRules<T extends RuleTable>(rules: T): T {
  return rules;
}
