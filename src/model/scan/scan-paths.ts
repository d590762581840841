import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { DEFAULT_LIMITS } from './limits.js';
import { scanFile, type ScanOptions } from './scan-file.js';
import type { FileReport, ScanReport } from './types.js';
import { listFiles } from './walk.js';

export interface ScanPathsOptions extends ScanOptions {
  /** Worker threads; default: one per core. 1 scans in this thread. */
  workers?: number;
  /** Called after each file, for progress display. */
  onFile?: (done: number, total: number, report: FileReport) => void;
  /** Called once the files are listed. */
  onListed?: (total: number, bytes: number) => void;
}

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const MIN_FILES_FOR_THREADS = 8;
const MIN_BYTES_FOR_THREADS = 64 * 1024 * 1024;

/**
 * Scans files and folders (recursively). Files are spread over worker threads, one per core, when there is more
 * than one; results come back in listing order whatever order they finish in.
 */
export async function scanPaths(targets: readonly string[], options: ScanPathsOptions = {}): Promise<ScanReport> {
  const started = performance.now();
  const { files, problems, links } = await listFiles(targets);
  const total = files.length;
  const totalBytes = files.reduce((a, f) => a + f.size, 0);
  options.onListed?.(total, totalBytes);

  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), total));
  // Threads cost a start-up (each loads the library) and pay off when parsing, not reading, is the work: many
  // files or much data. Asked for explicitly (`--workers N`), they are used whenever there is more than one file.
  const threaded = workers > 1 && (options.workers !== undefined ? total > 1 : total > MIN_FILES_FOR_THREADS && totalBytes >= MIN_BYTES_FOR_THREADS);
  // Files scanned at once share one memo budget, so peak memory does not grow with the thread count.
  const inFlight = threaded ? workers : Math.min(total, 2);
  const memo = Math.max(10_000, Math.floor((options.limits?.maxPickleMemo ?? DEFAULT_LIMITS.maxPickleMemo) / inFlight));
  const scanOptions: ScanOptions = { allow: options.allow ?? [], limits: { ...options.limits, maxPickleMemo: memo } };
  const reports: FileReport[] = new Array<FileReport>(total);
  let done = 0;
  const finish = (i: number, r: FileReport): void => {
    reports[i] = r;
    options.onFile?.(++done, total, r);
  };
  // The compiled worker exists under dist/; when running from TypeScript sources, scan in this thread.
  if (threaded && existsSync(WORKER)) {
    // One file per worker at a time: peak memory is a file's bound (limits.ts) times the thread count.
    const pool = new Piscina({ filename: WORKER, maxThreads: workers, minThreads: workers, idleTimeout: 1000 });
    try {
      await Promise.all(
        files.map((f, i) => (pool.run({ path: f.path, display: f.display, options: scanOptions }) as Promise<FileReport>).then((r) => finish(i, r))),
      );
    } finally {
      await pool.destroy();
    }
  } else {
    let next = 0;
    // Two files in flight: one file's reads overlap the other's parsing, and memory stays two files' worth.
    const lanes = Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const i = next++;
        finish(i, await scanFile(files[i]!.path, scanOptions, files[i]!.display));
      }
    });
    await Promise.all(lanes);
  }
  for (const p of problems) reports.push({ path: p.path, format: 'other', verdict: 'error', size: 0, findings: [], error: p.message });
  return { files: reports, summary: summarize(reports, performance.now() - started), skipped: links };
}

export function summarize(files: readonly FileReport[], durationMs: number): ScanReport['summary'] {
  const s = { files: files.length, safe: 0, suspicious: 0, unsafe: 0, error: 0, findings: 0, suppressed: 0, bytes: 0, durationMs: Math.round(durationMs) };
  for (const f of files) {
    s[f.verdict]++;
    s.findings += f.findings.length;
    s.suppressed += f.suppressed?.length ?? 0;
    s.bytes += f.size;
  }
  return s;
}
