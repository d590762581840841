import { BaseError } from '../core/errors.js';

/**
 * Codes for signed notes (C2SP signed-note), checkpoint bodies (C2SP tlog-checkpoint) and RFC 8785 canonical JSON.
 * Each is documented in docs/errors.md; never rename or reuse one. Keep the union free of comments: the docs test
 * reads it with a regular expression.
 */
export type NoteErrorCode =
  | 'AUDIT_NOTE_TOO_LARGE'
  | 'AUDIT_NOTE_ENCODING'
  | 'AUDIT_NOTE_CONTROL_CHARACTER'
  | 'AUDIT_NOTE_UNTERMINATED'
  | 'AUDIT_NOTE_SIGNATURE_BLOCK_MISSING'
  | 'AUDIT_NOTE_SIGNATURE_LINE_MALFORMED'
  | 'AUDIT_NOTE_SIGNATURE_BASE64'
  | 'AUDIT_NOTE_TOO_MANY_SIGNATURES'
  | 'AUDIT_NOTE_SIGNATURE_INVALID'
  | 'AUDIT_NOTE_UNVERIFIED'
  | 'AUDIT_NOTE_VERIFIER_AMBIGUOUS'
  | 'AUDIT_NOTE_NAME_INVALID'
  | 'AUDIT_NOTE_KEY_MALFORMED'
  | 'AUDIT_NOTE_KEY_ALGORITHM'
  | 'AUDIT_NOTE_KEY_ID_MISMATCH'
  | 'AUDIT_NOTE_SIGNER_FAILED'
  | 'AUDIT_CHECKPOINT_TOO_LARGE'
  | 'AUDIT_CHECKPOINT_MALFORMED'
  | 'AUDIT_CHECKPOINT_ORIGIN_INVALID'
  | 'AUDIT_CHECKPOINT_ORIGIN_MISMATCH'
  | 'AUDIT_CHECKPOINT_SIZE_INVALID'
  | 'AUDIT_CHECKPOINT_SIZE_UNSUPPORTED'
  | 'AUDIT_CHECKPOINT_ROOT_HASH_INVALID'
  | 'AUDIT_CHECKPOINT_EXTENSION_INVALID'
  | 'AUDIT_JSON_UNSUPPORTED_TYPE'
  | 'AUDIT_JSON_NON_FINITE_NUMBER'
  | 'AUDIT_JSON_LONE_SURROGATE'
  | 'AUDIT_JSON_TOO_DEEP'
  | 'AUDIT_JSON_CYCLE';

/**
 * A signed note, checkpoint or canonical-JSON input was rejected. Every rejection is final: the caller must treat the
 * input as untrusted and never fall back to using its text. Messages never contain private key material.
 */
export class NoteError extends BaseError<NoteErrorCode> {}
