import type { Finding } from '../../core/finding.js';

/** Verdict per file, from worst to best: `unsafe` > `suspicious` > `error` is separate (could not be read). */
export type Verdict = 'unsafe' | 'suspicious' | 'safe' | 'error';

/** What a rule does to the verdict: `note` findings are reported but leave a file `safe`. */
export type RuleImpact = 'unsafe' | 'suspicious' | 'note';

/** The format a file was recognised as, by its content (magic bytes), not its extension. */
export type ScanFormat =
  | 'pickle'
  | 'pytorch-zip'
  | 'pytorch-legacy'
  | 'pytorch-legacy-tar'
  | 'joblib'
  | 'numpy'
  | 'numpy-npz'
  | 'keras-h5'
  | 'hdf5'
  | 'keras-v3'
  | 'tf-savedmodel'
  | 'onnx'
  | 'safetensors'
  | 'gguf'
  | 'zip'
  | 'tar'
  | '7z'
  | 'gzip'
  | 'bzip2'
  | 'xz'
  | 'lzma'
  | 'zlib'
  | 'other';

export type ScanFinding = Finding;

/** One scanned file in the report. */
export interface FileReport {
  path: string;
  format: ScanFormat;
  verdict: Verdict;
  size: number;
  findings: ScanFinding[];
  /** Findings hidden by the suppressions file, with the reason given there. */
  suppressed?: (ScanFinding & { reason: string })[];
  /** Set when verdict is `error`: why the file could not be read. */
  error?: string;
  /** SHA-256 of the file, computed only when a suppressions file needs it. */
  sha256?: string;
}

export interface ScanSummary {
  files: number;
  safe: number;
  suspicious: number;
  unsafe: number;
  error: number;
  findings: number;
  suppressed: number;
  bytes: number;
  durationMs: number;
}

export interface ScanReport {
  files: FileReport[];
  summary: ScanSummary;
  /** Paths not scanned and why (links to folders, dangling links). */
  skipped?: { path: string; message: string }[];
}
