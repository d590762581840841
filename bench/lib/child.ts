import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as Lib from '../../src/index.js';

/**
 * One benchmark case, run in a fresh process so `maxRSS` (the process's peak resident memory) belongs to it alone.
 * This file imports nothing but Node built-ins at run time, so run-case.ts can also run it as plain JavaScript
 * (type-stripped) under bare `node`, the way the CLI runs — no TypeScript loader in the process or its workers.
 */
export type Task =
  | { kind: 'baseline'; lib: string }
  | { kind: 'calibrate'; lib: string; iterations: number }
  | { kind: 'scan-file'; lib: string; path: string; runs: number }
  | { kind: 'scan-paths'; lib: string; targets: string[]; workers: number | undefined; runs: number };

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

/** A pure integer loop for a worker thread: no memory traffic, no allocation, no I/O. */
const SPIN = `const { workerData, parentPort } = require('node:worker_threads');
let x = 0;
for (let i = 0; i < workerData; i++) x = (x + (i % 7)) | 0;
parentPort.postMessage(x);`;

/** Wall time for `threads` threads each running the loop at once. */
async function spin(threads: number, iterations: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(SPIN, { eval: true, workerData: iterations });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  return performance.now() - started;
}

export async function runChild(task: Task): Promise<ChildResult> {
  if (task.kind === 'calibrate') {
    // How much a second thread buys on this machine for work with no shared state: the ceiling for workers=2.
    const one = await spin(1, task.iterations);
    const two = await spin(2, task.iterations);
    return { ms: [one, two], maxRssKb: process.resourceUsage().maxRSS, files: 0, bytes: 0, verdicts: {}, formats: {}, rules: {}, samples: [] };
  }
  // `lib` is dist/index.js or src/index.ts, chosen by the parent.
  const lib = (await import(pathToFileURL(task.lib).href)) as typeof Lib;
  const out: ChildResult = { ms: [], maxRssKb: 0, files: 0, bytes: 0, verdicts: {}, formats: {}, rules: {}, samples: [] };
  if (task.kind !== 'baseline') {
    for (let i = 0; i < task.runs; i++) {
      const started = performance.now();
      const reports =
        task.kind === 'scan-file' ? [await lib.scanFile(task.path)] : (await lib.scanPaths(task.targets, task.workers === undefined ? {} : { workers: task.workers })).files;
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
