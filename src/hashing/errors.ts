import { BaseError } from '../core/errors.js';

/**
 * Codes for the hashing engine shared by model signing and dataset manifests. Documented in docs/errors.md; never
 * rename or reuse one. Keep the union free of comments: the docs test reads it with a regular expression.
 */
export type HashingErrorCode =
  | 'HASHING_PATH_NOT_FOUND'
  | 'HASHING_NAME_INVALID'
  | 'HASHING_IGNORE_INVALID'
  | 'HASHING_SYMLINK_REFUSED'
  | 'HASHING_FILE_UNSUPPORTED'
  | 'HASHING_READ_FAILED'
  | 'HASHING_FILE_CHANGED'
  | 'HASHING_OPTION_INVALID';

/**
 * A model or dataset could not be enumerated or hashed as asked. The CLI maps every code to exit 2: the input is
 * unusable, which is different from a verification that ran and failed.
 *
 * @example
 * try {
 *   await hashTree('./model', { method: 'files' });
 * } catch (err) {
 *   if (err instanceof HashingError && err.code === 'HASHING_SYMLINK_REFUSED') console.error('pass --allow-symlinks');
 * }
 */
export class HashingError extends BaseError<HashingErrorCode> {}
