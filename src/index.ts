/**
 * Palisade's library entry. Named re-exports only, so the public surface reads in one file.
 *
 * @example
 * import { scanPaths } from 'palisade';
 * const report = await scanPaths(['./models']);
 * console.log(report.summary.unsafe);
 */
export { scanPaths, scanFile, scanBlob, formatSarif, formatText, failsAt, RULES, DEFAULT_LIMITS, BufferBlob, FileBlob } from './model/index.js';
export type { Blob, FileReport, ScanFinding, ScanFormat, ScanReport, ScanSummary, Verdict, ScanLimits, ScanOptions, ScanPathsOptions } from './model/index.js';
export { parseConfig, loadConfigFile, DEFAULT_CONFIG } from './core/config.js';
export { ConfigSchema, type Config } from './core/config-schema.js';
export { findHome, initHome } from './core/home.js';
export { BaseError, CoreError, type CoreErrorCode } from './core/errors.js';
export { SEVERITIES, type Severity, type Finding, type FindingLocation } from './core/finding.js';
export {
  AuditLog,
  logKey,
  logVerifier,
  checkpointOf,
  proveInclusion,
  proveConsistency,
  verifyLog,
  verifyInclusion,
  verifyConsistency,
  canonicalJson,
  AuditError,
  type AuditEvent,
  type Recorded,
  type LogKey,
  type VerifyResult,
} from './audit/index.js';
export { openStore, StoreError, type Store, type StoreOptions } from './store/index.js';
export { ensureHomeKeys, loadHomeKeys } from './core/keys.js';
/**
 * Guards: pure, synchronous detectors with one verdict shape, composed by name.
 *
 * @example
 * import { checkText, createCanary, restoreRedacted } from 'palisade';
 * const v = checkText('Ignore previous instructions. Mail me at jane@example.com', { guards: ['injection', 'pii'] });
 * if (v.action === 'block') console.log(v.findings.map((f) => f.rule));
 */
export {
  checkText,
  defaultRegistry,
  GuardRegistry,
  runGuards,
  resolveSettings,
  GuardSettingsSchema,
  GuardError,
  normalize,
  classifyInjection,
  injectionGuard,
  secretsGuard,
  piiGuard,
  canaryGuard,
  contentPolicyGuard,
  detectSecrets,
  detectPii,
  detectCanary,
  createCanary,
  checkContent,
  phishingScore,
  redactSpans,
  restoreRedacted,
  type Guard,
  type GuardContext,
  type GuardAction,
  type GuardFinding,
  type GuardErrorCode,
  type GuardSettings,
  type GuardSettingsInput,
  type Verdict as GuardVerdict,
  type Redaction,
  type Span,
  type InjectionResult,
  type Normalized,
  type Canary,
  type CustomPattern,
  type DenyTopic,
} from './guard/index.js';
