/** The audit layer: an append-only RFC 9162 Merkle log with C2SP signed checkpoints, over the store. */
export { AuditLog, type AuditEvent, type DeferredAuditEvent, type AuditLogOptions, type Recorded, type Clock } from './log.js';
export { logKey, logVerifier, originOf, type LogKey } from './log-key.js';
export { acceptRotation, rotationStatement, ROTATION_EVENT_TYPE, type RotationData } from './rotation.js';
export { checkpointOf, proveInclusion, proveConsistency, checkpointBody, type CheckpointView, type InclusionView, type ConsistencyView } from './log-read.js';
export { verifyLog, type VerifyResult, type VerifyOptions } from './log-verify.js';
export { AuditError, type AuditErrorCode } from './errors.js';
export { leafHash, nodeHash, emptyRoot } from './merkle.js';
export { verifyInclusion, verifyConsistency } from './proof.js';
export { canonicalJson, canonicalJsonBytes } from './canonical-json.js';
export { exportBundle, verifyBundle, MAX_BUNDLE_ENTRIES, type EvidenceBundle, type BundleCheck } from './bundle.js';
export { latestEntry, searchEntries, type EntryView, type SearchFilter } from './search.js';
export { keyedDigest, keepRawText, purgeRawText, rawText, recordText } from './privacy.js';
