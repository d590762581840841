import { FileBlob, type Blob } from './blob.js';
import { ScanContext } from './context.js';
import { dispatch } from './dispatch.js';
import { DEFAULT_LIMITS, type ScanLimits } from './limits.js';
import { defaultPolicy } from './pickle/default-policy.js';
import type { GlobalPolicy } from './pickle/policy.js';
import type { FileReport, ScanFinding } from './types.js';
import { verdictOf } from './verdict.js';

export interface ScanOptions {
  /** Extra allowlisted globals (`module.name` or `module.*`), from the config's `scan.allow`. */
  allow?: readonly string[];
  limits?: Partial<ScanLimits>;
}

/** Scans bytes already in hand (a blob) and returns its report. Pure apart from reading the blob. */
export async function scanBlob(path: string, blob: Blob, options: ScanOptions = {}, policy?: GlobalPolicy): Promise<FileReport> {
  const findings: ScanFinding[] = [];
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const ctx = new ScanContext(findings, policy ?? defaultPolicy(options.allow), limits, dispatch);
  try {
    const format = await dispatch(blob, ctx);
    ctx.finish();
    return { path, format, verdict: verdictOf(findings), size: blob.size, findings };
  } catch (err) {
    ctx.finish();
    // A reader failure is an `error` verdict unless the findings so far already make the file unsafe.
    const verdict = verdictOf(findings) === 'unsafe' ? 'unsafe' : 'error';
    return { path, format: 'other', verdict, size: blob.size, findings, error: describeError(err) };
  }
}

/** Opens and scans one file. Files that cannot be opened get verdict `error` with the reason. */
export async function scanFile(path: string, options: ScanOptions = {}, displayPath = path): Promise<FileReport> {
  let blob: FileBlob;
  try {
    blob = await FileBlob.open(path);
  } catch (err) {
    return { path: displayPath, format: 'other', verdict: 'error', size: 0, findings: [], error: describeError(err) };
  }
  try {
    return await scanBlob(displayPath, blob, options);
  } finally {
    await blob.close();
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? err.message : `${code}: ${err.message}`;
  }
  return String(err);
}
