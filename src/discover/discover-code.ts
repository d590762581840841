import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { detectInText, type CodeFinding } from './code-detect.js';
import { DiscoverError } from './errors.js';
import { fileKindOf } from './file-kind.js';
import { walkFiles } from './walk.js';

/** A file that was not read, and why. */
export interface SkippedFile {
  file: string;
  reason: 'binary' | 'too-large' | 'unreadable';
}

export interface CodeReport {
  findings: CodeFinding[];
  /** Files read. */
  files: number;
  skipped: SkippedFile[];
}

export interface DiscoverCodeOptions {
  /** Files larger than this are skipped with a note (generated bundles, data, models). Default 1 MiB. */
  maxFileBytes?: number;
  /** Called after each file, with the count so far (progress). */
  onFile?: (done: number) => void;
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
/** git's own test: a NUL byte in the first 8,000 bytes makes a file binary. */
const BINARY_SNIFF = 8000;

/**
 * Walks `root` (honouring .gitignore) and reports AI SDK imports, hosted AI endpoints, hard-coded AI keys and
 * self-hosted model servers. Files are read one at a time and dropped, so memory holds only the findings.
 *
 * @example
 * const report = discoverCode('/src/app');
 * for (const f of report.findings) console.log(f.file, f.line, f.kind, f.provider);
 */
export function discoverCode(root: string, opts: DiscoverCodeOptions = {}): CodeReport {
  let st;
  try {
    st = statSync(root);
  } catch (err) {
    throw new DiscoverError('DISCOVER_PATH_NOT_FOUND', `cannot read ${root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; pass a folder that exists`, { cause: err });
  }
  if (!st.isDirectory()) throw new DiscoverError('DISCOVER_PATH_NOT_FOUND', `${root} is not a folder; pass the folder of a repository`);
  const max = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const report: CodeReport = { findings: [], files: 0, skipped: [] };
  const buf = Buffer.allocUnsafe(max);
  for (const f of walkFiles(root)) {
    const kind = fileKindOf(f.name);
    if (kind === undefined) continue;
    const got = readBounded(f.abs, buf, max);
    if (typeof got === 'string') {
      report.skipped.push({ file: f.rel, reason: got });
      continue;
    }
    report.files++;
    for (const x of detectInText(f.rel, buf.toString('utf8', 0, got), kind)) report.findings.push(x);
    opts.onFile?.(report.files);
  }
  return report;
}

/** Reads a whole file into `buf` and returns its length, or why it was not read. */
function readBounded(path: string, buf: Buffer, max: number): number | SkippedFile['reason'] {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (fstatSync(fd).size > max) return 'too-large';
    let n = 0;
    while (n < max) {
      const r = readSync(fd, buf, n, max - n, null);
      if (r === 0) break;
      n += r;
    }
    // A file that grew past the limit while being read is as large as one that was large to begin with.
    if (n === max && readSync(fd, Buffer.alloc(1), 0, 1, null) > 0) return 'too-large';
    if (buf.subarray(0, Math.min(n, BINARY_SNIFF)).includes(0)) return 'binary';
    return n;
  } catch {
    return 'unreadable';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
