import { BaseError } from '../core/errors.js';

/**
 * Codes for signing and verifying models (OMS) and attestations. Documented in docs/errors.md; never rename or
 * reuse one. Keep the union free of comments: the docs test reads it with a regular expression.
 */
export type SignErrorCode =
  | 'SIGN_KEY_INVALID'
  | 'SIGN_KEY_UNSUPPORTED'
  | 'SIGN_CERTIFICATE_INVALID'
  | 'SIGN_BUNDLE_INVALID'
  | 'SIGN_METHOD_MISMATCH'
  | 'SIGN_TRUST_ROOT_INVALID';

/**
 * Input that cannot be used to sign or verify: an unreadable or unsupported key, a certificate file that is not
 * one, a signature file that is not a well-formed OMS bundle. The CLI maps these to exit 2. A bundle that is well
 * formed but does not verify is not an error: verification returns a failed result (exit 1).
 *
 * @example
 * try {
 *   parseBundle(text);
 * } catch (err) {
 *   if (err instanceof SignError && err.code === 'SIGN_BUNDLE_INVALID') console.error(err.message);
 * }
 */
export class SignError extends BaseError<SignErrorCode> {}
