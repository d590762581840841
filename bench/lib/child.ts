import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Lib from '../../src/index.js';

/**
 * One benchmark case, run in a fresh process so `maxRSS` (the process's peak resident memory) belongs to it alone.
 * The parent starts this file's script with `--child <json>` and reads the `@@result` line it prints.
 */
export type Task =
  | { kind: 'baseline'; module: ModuleKind }
  | { kind: 'scan-file'; module: ModuleKind; path: string; runs: number }
  | { kind: 'scan-paths'; module: ModuleKind; targets: string[]; workers: number; runs: number };

export type ModuleKind = 'dist' | 'src';

export interface ChildResult {
  /** Wall time of each run, milliseconds. */
  ms: number[];
  /** Peak resident set size of the process, kilobytes (getrusage ru_maxrss). */
  maxRssKb: number;
  files: number;
  bytes: number;
  verdicts: Record<string, number>;
  formats: Record<string, number>;
  /** Rule ids found, with a count, from the last run. */
  rules: Record<string, number>;
  /** First few findings' messages, for the report. */
  samples: string[];
  /** Worker threads (compiled dist) or one thread (TS sources, or workers = 1). */
  threads: 'worker-threads' | 'in-thread';
}

export const RESULT_TAG = '@@result ';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export function modulePath(kind: ModuleKind): string {
  return fileURLToPath(new URL(kind === 'dist' ? '../../dist/index.js' : '../../src/index.js', import.meta.url));
}

/** scanPaths only uses worker threads when the compiled worker exists next to it. */
export function hasCompiledWorker(): boolean {
  return existsSync(`${HERE}../../dist/model/scan/worker.js`);
}

export async function runChild(task: Task): Promise<ChildResult> {
  const lib = (await import(pathToFileURL(modulePath(task.module)).href)) as typeof Lib;
  const out: ChildResult = {
    ms: [],
    maxRssKb: 0,
    files: 0,
    bytes: 0,
    verdicts: {},
    formats: {},
    rules: {},
    samples: [],
    threads: 'in-thread',
  };
  if (task.kind === 'baseline') {
    out.maxRssKb = process.resourceUsage().maxRSS;
    return out;
  }
  const runs = task.runs;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const reports =
      task.kind === 'scan-file'
        ? [await lib.scanFile(task.path)]
        : (await lib.scanPaths(task.targets, { workers: task.workers })).files;
    out.ms.push(performance.now() - started);
    if (i === runs - 1) tally(out, reports);
  }
  if (task.kind === 'scan-paths' && task.workers > 1 && task.module === 'dist' && hasCompiledWorker()) out.threads = 'worker-threads';
  out.maxRssKb = process.resourceUsage().maxRSS;
  return out;
}

function tally(out: ChildResult, reports: readonly Lib.FileReport[]): void {
  out.files = reports.length;
  for (const r of reports) {
    out.bytes += r.size;
    out.verdicts[r.verdict] = (out.verdicts[r.verdict] ?? 0) + 1;
    out.formats[r.format] = (out.formats[r.format] ?? 0) + 1;
    if (r.error !== undefined && out.samples.length < 5) out.samples.push(`${r.path}: error: ${r.error}`);
    for (const f of r.findings) {
      out.rules[f.rule] = (out.rules[f.rule] ?? 0) + 1;
      if (out.samples.length < 5) out.samples.push(`${r.path}: ${f.rule}: ${f.message}`);
    }
  }
}
