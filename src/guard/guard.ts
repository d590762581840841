import type { Normalized } from './normalize/normalize.js';
import type { GuardDefaults } from './settings.js';
import type { GuardFinding } from './verdict.js';

/** Per-request facts a guard may need: which side of the model the text is on, the canary tokens in play. */
export interface GuardContext {
  stage?: 'input' | 'output';
  /** Canary tokens embedded in this request's system prompt (see `createCanary`). */
  canaries?: readonly string[];
  /** The text's normalization, computed once per check and shared by the guards that need it. */
  normalized?: () => Normalized;
}

/**
 * A guard is a pure, synchronous detector: text in, findings out. It throws a `GuardError` only when it cannot decide;
 * the pipeline then applies the guard's `onError` setting.
 */
export interface Guard {
  readonly name: string;
  readonly description: string;
  readonly defaults: GuardDefaults;
  check(text: string, ctx: GuardContext): GuardFinding[];
}
