import type { Severity } from '../core/finding.js';

/** What the caller should do with the text: pass it, pass it and raise an alert, pass a redacted copy, or refuse it. */
export const GUARD_ACTIONS = ['allow', 'flag', 'redact', 'block'] as const;
export type GuardAction = (typeof GUARD_ACTIONS)[number];

/** A half-open range `[start, end)` in UTF-16 code units of the text as the caller passed it (before normalization). */
export interface Span {
  start: number;
  end: number;
}

/** One thing a guard saw. `score` (0..1) is present for graded detectors; `span` when the finding has a place. */
export interface GuardFinding {
  guard: string;
  rule: string;
  severity: Severity;
  score?: number;
  span?: Span;
  message: string;
}

/** The one result shape of every guard and of a composed check. */
export interface Verdict {
  action: GuardAction;
  findings: GuardFinding[];
  /** Present when `action` is `redact`: the text with the redacted spans replaced, and how to undo it. */
  redaction?: Redaction;
}

/** A redacted text and the placeholders that can be put back (`placeholder` mode only; `mask` and `hash` are one-way). */
export interface Redaction {
  text: string;
  /** Placeholder → original text. Keep it server-side: it holds the very data that was redacted. */
  restore: Record<string, string>;
}

/** The stronger of two actions (block > redact > flag > allow). */
export function strongerAction(a: GuardAction, b: GuardAction): GuardAction {
  return GUARD_ACTIONS.indexOf(a) >= GUARD_ACTIONS.indexOf(b) ? a : b;
}
