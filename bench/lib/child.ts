import { pathToFileURL } from 'node:url';
import type * as Lib from '../../src/index.js';

/**
 * One benchmark case, run in a fresh process so `maxRSS` (the process's peak resident memory) belongs to it alone.
 * This file imports nothing but Node built-ins at run time, so run-case.ts can also run it as plain JavaScript
 * (type-stripped) under bare `node`, the way the CLI runs — no TypeScript loader in the process or its workers.
 */
export type Task =
  | { kind: 'baseline'; lib: string }
  | { kind: 'scan-file'; lib: string; path: string; runs: number }
  | { kind: 'scan-paths'; lib: string; targets: string[]; workers: number; runs: number };

export interface ChildResult {
  /** Wall time of each run, milliseconds. */
  ms: number[];
  /** Peak resident set size of the process, kilobytes (getrusage ru_maxrss). */
  maxRssKb: number;
  files: number;
  bytes: number;
  verdicts: Record<string, number>;
  formats: Record<string, number>;
  /** Rule ids found in the last run, with a count. */
  rules: Record<string, number>;
  /** The first few findings or errors, for the report. */
  samples: string[];
}

export const RESULT_TAG = '@@result ';

export async function runChild(task: Task): Promise<ChildResult> {
  // `lib` is dist/index.js or src/index.ts, chosen by the parent.
  const lib = (await import(pathToFileURL(task.lib).href)) as typeof Lib;
  const out: ChildResult = { ms: [], maxRssKb: 0, files: 0, bytes: 0, verdicts: {}, formats: {}, rules: {}, samples: [] };
  if (task.kind !== 'baseline') {
    for (let i = 0; i < task.runs; i++) {
      const started = performance.now();
      const reports =
        task.kind === 'scan-file' ? [await lib.scanFile(task.path)] : (await lib.scanPaths(task.targets, { workers: task.workers })).files;
      out.ms.push(performance.now() - started);
      if (i === task.runs - 1) tally(out, reports);
    }
  }
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

/** Entry when run as a script: `node child.mjs '<task json>'`. */
export async function childMain(json: string): Promise<void> {
  const r = await runChild(JSON.parse(json) as Task);
  process.stdout.write(`${RESULT_TAG}${JSON.stringify(r)}\n`);
}
