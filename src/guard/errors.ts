import { BaseError } from '../core/errors.js';

/**
 * Codes for the guards. Finding an attack is not an error: a guard returns findings and throws only when it cannot
 * decide. Keep the union free of comments: the docs test reads it with a regular expression.
 */
export type GuardErrorCode =
  | 'GUARD_INPUT_TOO_LARGE'
  | 'GUARD_UNKNOWN'
  | 'GUARD_SETTINGS_INVALID'
  | 'GUARD_PATTERN_INVALID'
  | 'GUARD_MODEL_INVALID'
  | 'GUARD_INPUT_INVALID';

/**
 * A guard could not decide, or was configured wrongly. When a guard throws while checking text, the pipeline applies
 * that guard's `onError` setting (let the text through, or block it) instead of failing the request.
 *
 * @example
 * try {
 *   checkText(text, { guards: ['injection'] });
 * } catch (err) {
 *   if (err instanceof GuardError && err.code === 'GUARD_UNKNOWN') console.error(err.message);
 * }
 */
export class GuardError extends BaseError<GuardErrorCode> {}
