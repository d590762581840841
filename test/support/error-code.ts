import { BaseError } from '../../src/core/errors.js';

/** Runs `fn` and says how it ended: 'none' (no throw), the typed error's code, or 'other' for any other throw. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (err) {
    return err instanceof BaseError ? (err.code as string) : 'other';
  }
}
