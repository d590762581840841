import { comparePaths, diffResources, rootDigest, serializeModel, type ListOptions, type ManifestDiff, type Resource } from '../hashing/index.js';
import { DataError } from './errors.js';
import { countRows, rowFormatOf, type RowFormat } from './rows.js';

export const MANIFEST_FORMAT = 'palisade.dataset-manifest/v1';
const MAX_ENTRIES = 10_000_000;

/** One file of a dataset. */
export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
  format?: RowFormat;
  rows?: number;
}

/**
 * A dataset's content: per-file SHA-256, sizes and row counts, and a root digest computed exactly as an OMS
 * files-method root digest (SHA-256 over the file digests in path-component order), so a dataset's digest can be
 * cited by a training attestation or recomputed by any OMS tool. No timestamps: an unchanged dataset snapshots to
 * an identical file.
 */
export interface DatasetManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  hashType: 'sha256';
  rootDigest: string;
  files: number;
  bytes: number;
  /** Sum of the rows counted (files whose rows could be counted). */
  rows?: number;
  ignorePaths: string[];
  entries: ManifestEntry[];
}

export interface SnapshotOptions extends Pick<ListOptions, 'ignorePaths' | 'exclude' | 'allowSymlinks'> {
  name: string;
  /** Count rows of CSV/TSV/JSONL/Parquet files (default true). */
  rows?: boolean;
  threads?: number;
  onListed?: (bytes: number) => void;
  onBytes?: (bytes: number) => void;
}

export interface Snapshot {
  manifest: DatasetManifest;
  /** Files whose rows could not be counted, with why. */
  warnings: string[];
}

/** Hashes a dataset folder or file (the engine model signing uses) and counts rows where it can. */
export async function snapshotDataset(target: string, options: SnapshotOptions): Promise<Snapshot> {
  const s = await serializeModel(target, { ...options, method: 'files', hashType: 'sha256' });
  const warnings: string[] = [];
  const entries: ManifestEntry[] = [];
  let rows: number | undefined;
  for (const [i, f] of s.listing.files.entries()) {
    const e: ManifestEntry = { path: f.name, size: f.size, sha256: s.resources[i]!.digest };
    const format = rowFormatOf(f.name === '.' ? f.path : f.name);
    if (format !== undefined && options.rows !== false) {
      e.format = format;
      const n = await countRows(f.path, format, f.size);
      if (typeof n === 'number') {
        e.rows = n;
        rows = (rows ?? 0) + n;
      } else warnings.push(`${f.name}: rows not counted: ${n}`);
    }
    entries.push(e);
  }
  const manifest: DatasetManifest = { format: MANIFEST_FORMAT, name: options.name, hashType: 'sha256', rootDigest: s.rootDigest, files: entries.length, bytes: s.bytes, ...(rows === undefined ? {} : { rows }), ignorePaths: s.params.ignorePaths, entries };
  return { manifest, warnings };
}

/**
 * The manifest as text that diffs cleanly: fixed key order, one file per line, sorted by path, trailing newline.
 * A changed file is a one-line change in git.
 */
export function formatManifest(m: DatasetManifest): string {
  const head = { format: m.format, name: m.name, hashType: m.hashType, rootDigest: m.rootDigest, files: m.files, bytes: m.bytes, ...(m.rows === undefined ? {} : { rows: m.rows }), ignorePaths: m.ignorePaths };
  const lines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const entries = m.entries.map((e, i) => `    ${JSON.stringify({ path: e.path, size: e.size, sha256: e.sha256, ...(e.format === undefined ? {} : { format: e.format }), ...(e.rows === undefined ? {} : { rows: e.rows }) })}${i < m.entries.length - 1 ? ',' : ''}`);
  return `{\n${lines.join('\n')}\n  "entries": [${entries.length > 0 ? `\n${entries.join('\n')}\n  ` : ''}]\n}\n`;
}

const bad = (why: string): DataError => new DataError('DATA_MANIFEST_INVALID', `not a usable dataset manifest: ${why}`);

/** Reads a manifest strictly: format, entry shapes, sorted unique paths, and its root digest must agree. */
export function parseManifest(text: string): DatasetManifest {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  const m = j as DatasetManifest;
  if (typeof j !== 'object' || j === null || m.format !== MANIFEST_FORMAT) throw bad(`format is not ${MANIFEST_FORMAT}`);
  if (m.hashType !== 'sha256' || typeof m.rootDigest !== 'string' || !Array.isArray(m.entries) || m.entries.length > MAX_ENTRIES) throw bad('hashType, rootDigest or entries is missing or wrong');
  for (const [i, e] of m.entries.entries()) {
    if (typeof e !== 'object' || e === null || typeof e.path !== 'string' || e.path === '' || !Number.isSafeInteger(e.size) || e.size < 0 || typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) throw bad(`entry ${i} is not { path, size, sha256 }`);
    if (i > 0 && comparePaths(m.entries[i - 1]!.path, e.path) >= 0) throw bad(`entries are not sorted by path, or '${e.path}' repeats`);
  }
  if (!Array.isArray(m.ignorePaths) || m.ignorePaths.some((p) => typeof p !== 'string' || p.startsWith('/') || p.split('/').includes('..'))) throw bad('ignorePaths must be relative paths inside the dataset');
  return m;
}

export interface DataVerifyReport {
  ok: boolean;
  /** The manifest's own root digest agrees with its entries. */
  consistent: boolean;
  diff: ManifestDiff;
  rootDigest: string;
  localRootDigest: string;
  files: number;
}

const asResources = (entries: readonly ManifestEntry[]): Resource[] => entries.map((e) => ({ name: e.path, algorithm: 'sha256', digest: e.sha256 }));

/** Re-hashes the dataset with the manifest's ignore paths and tells which files changed. */
export async function verifyDataset(target: string, m: DatasetManifest, options: Pick<SnapshotOptions, 'exclude' | 'allowSymlinks' | 'threads' | 'onListed' | 'onBytes'> = {}): Promise<DataVerifyReport> {
  const { manifest: local } = await snapshotDataset(target, { ...options, name: m.name, rows: false, ignorePaths: m.ignorePaths });
  const consistent = rootDigest(asResources(m.entries)) === m.rootDigest;
  const diff = diffResources(asResources(m.entries), asResources(local.entries), false);
  const clean = diff.modified.length + diff.added.length + diff.removed.length === 0;
  return { ok: consistent && clean, consistent, diff, rootDigest: m.rootDigest, localRootDigest: local.rootDigest, files: local.files };
}
