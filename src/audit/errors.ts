import { BaseError } from '../core/errors.js';

/**
 * Codes for the Merkle core: tree math, stored-node reads and RFC 9162 proof verification. Each is documented in
 * docs/errors.md; never rename or reuse one. Keep the union free of comments: the docs test reads it with a regular
 * expression.
 */
export type AuditErrorCode =
  | 'AUDIT_SIZE_INVALID'
  | 'AUDIT_INDEX_INVALID'
  | 'AUDIT_HASH_INVALID'
  | 'AUDIT_PROOF_INVALID'
  | 'AUDIT_ROOT_MISMATCH'
  | 'AUDIT_NODE_INVALID'
  | 'AUDIT_EVENT_INVALID'
  | 'AUDIT_NOT_FOUND'
  | 'AUDIT_KEY_INVALID'
  | 'AUDIT_KEY_ROTATED';

/**
 * A Merkle operation was refused. From a verifier every code is final: the proof does not show what the caller
 * asked about, and there is no partial success to fall back to. `AUDIT_NODE_INVALID` alone points at the log's own
 * storage (a node reader returned something that is not a hash), not at the caller's input.
 *
 * @example
 * try {
 *   verifyInclusion(index, size, leaf, proof, root);
 * } catch (err) {
 *   if (err instanceof AuditError && err.code === 'AUDIT_ROOT_MISMATCH') console.error('log or proof was altered');
 *   throw err;
 * }
 */
export class AuditError extends BaseError<AuditErrorCode> {}
