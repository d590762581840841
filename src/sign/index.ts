/** Model signing and verification in the OpenSSF Model Signing (OMS) format, and training attestations. */
export { SignError, type SignErrorCode } from './errors.js';
export { curveName, hashForKey, keyHint, NAMED_CURVES, privateKeyFrom, publicKeyFrom, spkiPem, type Curve } from './keys.js';
export { IN_TOTO_PAYLOAD_TYPE, legacyPae, pae, pythonBytesRepr, signPae, verifyPae } from './dsse.js';
export { BUNDLE_MEDIA_TYPE, buildBundle, MAX_BUNDLE_BYTES, parseBundle, signStatement, type Method, type ParsedBundle } from './bundle.js';
export { certificatesFromPem, verifyChain } from './certificate.js';
export { buildStatement, LEGACY_PREDICATE, OMS_PREDICATE, readStatement, STATEMENT_TYPE, type SignedManifest, type StatementResult } from './statement.js';
export { signModel, type Signed, type SignOptions } from './sign-model.js';
export { verifyModel, type VerifyOptions, type VerifyReport, type VerifyStatus } from './verify-model.js';
export { DEFAULT_BUILDER_ID, provenanceStatement, SLSA_PROVENANCE_V1, TRAINING_BUILD_TYPE, verifyAttestation, type AttestationResult, type Provenance, type ResourceDescriptor, type TrainingRun } from './attest.js';
export { gitHead } from './git-head.js';
export { checkTrustedRoot, publicGoodTrustedRoot, verifyKeyless, type KeylessPolicy } from './keyless.js';
