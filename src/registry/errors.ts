import { BaseError } from '../core/errors.js';

export type RegistryErrorCode =
  | 'REGISTRY_NAME_INVALID'
  | 'REGISTRY_VERSION_EXISTS'
  | 'REGISTRY_VERSION_NOT_FOUND'
  | 'REGISTRY_CARD_INVALID'
  | 'REGISTRY_ARTIFACT_INVALID'
  | 'REGISTRY_GATE_UNKNOWN'
  | 'REGISTRY_PROMOTION_BLOCKED'
  | 'REGISTRY_REVIEW_INVALID'
  | 'REGISTRY_ROLLBACK_IMPOSSIBLE'
  | 'REGISTRY_TRUST_INVALID'
  | 'REGISTRY_INCIDENT_INVALID'
  | 'REGISTRY_EXPORT_INVALID';

/** Registry problems: bad names or cards, unknown versions, blocked promotions, impossible rollbacks. */
export class RegistryError extends BaseError<RegistryErrorCode> {}
