import { BaseError } from '../core/errors.js';

/**
 * Codes for shadow-AI discovery: folders and logs that cannot be read, log formats that cannot be recognised,
 * approvals that do not parse. Each is documented in docs/errors.md; never rename or reuse one. Keep the union free
 * of comments: the docs test reads it with a regular expression.
 */
export type DiscoverErrorCode =
  | 'DISCOVER_PATH_NOT_FOUND'
  | 'DISCOVER_LOG_FORMAT_UNKNOWN'
  | 'DISCOVER_LOG_INVALID'
  | 'DISCOVER_APPROVALS_INVALID';

/** Discovery could not run on its input; finding AI usage is a result, never this error. The CLI exits 2. */
export class DiscoverError extends BaseError<DiscoverErrorCode> {}
