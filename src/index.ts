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
  keyedDigest,
  keepRawText,
  purgeRawText,
  rawText,
  recordText,
  exportBundle,
  verifyBundle,
  originOf,
  type AuditEvent,
  type Recorded,
  type LogKey,
  type VerifyResult,
} from './audit/index.js';
export { openStore, StoreError, type Store, type StoreOptions } from './store/index.js';
export { ensureHomeKeys, loadHomeKeys, stageNextLogKey, promoteNextLogKey, type HomeKeys } from './core/keys.js';
export {
  buildGateway,
  ApiKeyIndex,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  MemoryLimiter,
  RedisLimiter,
  GatewayMetrics,
  GatewayError,
  startDemoUpstream,
  type GatewayDeps,
  type ApiKeyRecord,
  type Limiter,
  type DemoUpstream,
  type GatewayErrorCode,
} from './gateway/index.js';
export { serializeModel, listModel, rootDigest, diffResources, HashingError, DEFAULT_SHARD_SIZE } from './hashing/index.js';
export type { HashingErrorCode, HashType, ListOptions, Listing, ManifestDiff, Resource, SerializationParams, Serialized, SerializeOptions } from './hashing/index.js';
export { signModel, verifyModel, parseBundle, readStatement, verifyChain, verifyKeyless, provenanceStatement, verifyAttestation, signStatement, keyHint, SignError } from './sign/index.js';
export type { SignErrorCode, SignOptions, Signed, VerifyOptions, VerifyReport, VerifyStatus, KeylessPolicy, TrainingRun, Provenance } from './sign/index.js';
export { snapshotDataset, verifyDataset, formatManifest, parseManifest, DataError } from './data/index.js';
export type { DataErrorCode, DatasetManifest, DataVerifyReport, ManifestEntry, Snapshot, SnapshotOptions } from './data/index.js';
/**
 * `data check` as a library: read two files into typed columns, then check the batch against the reference.
 *
 * @example
 * const report = checkTables(await readTable('train.parquet'), await readTable('batch.csv'), { label: 'label' });
 * if (report.verdict !== 'clean') console.log(reportJson(report));
 */
export { checkTables, readTable, renderHtml, reportJson } from './data/check/index.js';
export type { CheckOptions, CheckReport, ColumnDrift, FlaggedRow, SchemaChange, Table, Trigger, Verdict as DataCheckVerdict } from './data/check/index.js';
