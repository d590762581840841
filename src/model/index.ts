/** The model-store layer: scanning (this issue), signing and cards (later). */
export { applySuppressions, sha256File, SuppressionsSchema, type Suppressions } from './scan/suppressions.js';
export { formatSarif } from './scan/report-sarif.js';
export { formatText } from './scan/report-text.js';
export { scanBlob, scanFile, type ScanOptions } from './scan/scan-file.js';
export { scanPaths, summarize, type ScanPathsOptions } from './scan/scan-paths.js';
export { failsAt, verdictOf } from './scan/verdict.js';
export { RULES } from './scan/rules.js';
export { DEFAULT_LIMITS, type ScanLimits } from './scan/limits.js';
export { BufferBlob, FileBlob, type Blob } from './scan/blob.js';
export type { FileReport, ScanFinding, ScanFormat, ScanReport, ScanSummary, Verdict } from './scan/types.js';
