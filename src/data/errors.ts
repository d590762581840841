import { BaseError } from '../core/errors.js';

/**
 * Codes for dataset manifests. Documented in docs/errors.md; never rename or reuse one. Keep the union free of
 * comments: the docs test reads it with a regular expression.
 */
export type DataErrorCode = 'DATA_MANIFEST_INVALID' | 'DATA_CHECK_UNREADABLE' | 'DATA_CHECK_TOO_LARGE' | 'DATA_CHECK_NO_COMMON_COLUMNS' | 'DATA_CHECK_COLUMN_UNKNOWN';

/**
 * A dataset manifest that cannot be used (not JSON, the wrong format, bad entries). The CLI exits 2. A manifest
 * that reads fine but does not match the files is a failed verification (exit 1), not an error.
 *
 * @example
 * try {
 *   parseManifest(text);
 * } catch (err) {
 *   if (err instanceof DataError) console.error(err.message);
 * }
 */
export class DataError extends BaseError<DataErrorCode> {}
