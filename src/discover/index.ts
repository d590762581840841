/**
 * Shadow-AI discovery: where code calls hosted AI APIs or self-hosted model servers, which AI keys sit in a
 * repository, and which hosts send traffic to AI providers without an approval. Pure detectors and streaming
 * readers; the CLI's `palisade discover` wires them to files, output and the audit log.
 */
export { DiscoverError, type DiscoverErrorCode } from './errors.js';
export { discoverCode, DEFAULT_MAX_FILE_BYTES, type CodeReport, type DiscoverCodeOptions, type SkippedFile } from './discover-code.js';
export { detectInText, FINDING_KINDS, type CodeFinding, type FindingKind } from './code-detect.js';
export { fileKindOf, type FileKind } from './file-kind.js';
export { providerOfHost, localModelServer, isInternalHost } from './hosts.js';
export { findKeys, maskKey, maskSecrets, type KeyHit } from './keys.js';
export { formatCodeJson, formatCodeSarif, formatCodeText } from './report-code.js';
export { discoverEgress, type EgressOptions, type EgressReport, type Flow } from './egress.js';
export { compileApprovals, coveredUntil, type Approval } from './approvals.js';
export { LOG_FORMATS, sniffFormat, parseSquid, parseNginx, csvParser, csvFields, type LogFormat, type LogRecord } from './log-formats.js';
export { formatEgressJson, formatEgressText } from './report-egress.js';
