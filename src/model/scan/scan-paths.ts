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
/** Threads join only when the scan is CPU-bound: after this long, with files still waiting … */
const ADAPT_AFTER_MS = 500;
/** … and files taking this long each on average (a thread's start-up is ~150 ms). */
const SLOW_FILE_MS = 25;

/**
 * Scans files and folders (recursively); results come back in listing order whatever order they finish in.
 *
 * Scheduling: most model files cost what their headers cost, and for those this thread with two files in flight
 * beats a pool (a thread pays ~150 ms to load the library and ~0.4 ms more per file). So scanning starts here, and
 * when the files prove CPU-bound (opcode-dense pickles, huge headers) worker threads — one per core — take the
 * rest. `workers: N` asks for N threads from the start; `workers: 1` keeps everything in this thread.
 */
export async function scanPaths(targets: readonly string[], options: ScanPathsOptions = {}): Promise<ScanReport> {
  const started = performance.now();
  const { files, problems, links } = await listFiles(targets);
  const total = files.length;
  options.onListed?.(total, files.reduce((a, f) => a + f.size, 0));

  const threads = Math.max(1, Math.min(options.workers ?? availableParallelism(), total));
  const canThread = threads > 1 && existsSync(WORKER); // the compiled worker exists only under dist/
  // Files scanned at once share one memo budget, so peak memory does not grow with the thread count.
  const inFlight = Math.max(2, canThread ? threads : 1);
  const memo = Math.max(10_000, Math.floor((options.limits?.maxPickleMemo ?? DEFAULT_LIMITS.maxPickleMemo) / inFlight));
  const scanOptions: ScanOptions = { allow: options.allow ?? [], limits: { ...options.limits, maxPickleMemo: memo } };
  const reports: FileReport[] = new Array<FileReport>(total);
  let done = 0;
  let next = 0;
  let busyMs = 0;
  const finish = (i: number, r: FileReport): void => {
    reports[i] = r;
    done++;
    options.onFile?.(done, total, r);
  };
  const take = (): number | undefined => (next < total ? next++ : undefined);

  let pool: Piscina | undefined;
  const startPool = (): void => {
    pool = new Piscina({ filename: WORKER, maxThreads: threads, minThreads: threads, idleTimeout: 1000 });
  };
  if (canThread && options.workers !== undefined) startPool();
  const lane = async (): Promise<void> => {
    for (let i = take(); i !== undefined; i = take()) {
      const f = files[i]!;
      if (pool !== undefined) {
        finish(i, (await pool.run({ path: f.path, display: f.display, options: scanOptions })) as FileReport);
        continue;
      }
      const t = performance.now();
      finish(i, await scanFile(f.path, scanOptions, f.display));
      busyMs += performance.now() - t;
      if (canThread && pool === undefined && performance.now() - started > ADAPT_AFTER_MS && total - next >= threads && busyMs / done > SLOW_FILE_MS) startPool();
    }
  };
  try {
    // In this thread two lanes keep two files in flight; with a pool, enough lanes to keep every thread busy.
    await Promise.all(Array.from({ length: canThread ? Math.max(2, threads) : 2 }, lane));
  } finally {
    await pool?.destroy();
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
