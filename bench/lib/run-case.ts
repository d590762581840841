import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { RESULT_TAG, type ChildResult, type Task } from './child.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD_TS = join(ROOT, 'bench', 'lib', 'child.ts');
const SCRIPT = join(ROOT, 'bench', 'scan-throughput.ts');

export type ModuleKind = 'dist' | 'src';

export function libPath(kind: ModuleKind): string {
  return join(ROOT, kind === 'dist' ? 'dist/index.js' : 'src/index.ts');
}

/** scanPaths only starts worker threads when the compiled worker exists next to it. */
export function hasCompiledWorker(): boolean {
  return existsSync(join(ROOT, 'dist', 'model', 'scan', 'worker.js'));
}

/**
 * child.ts with its types stripped, as an .mjs that bare node runs. Measuring the compiled library under a
 * TypeScript loader would be wrong twice over: the loader costs memory, and worker threads inherit it (it made
 * a two-worker scan of ten files take over a second in a first version of this benchmark).
 */
let plain: string | undefined;

function plainChild(outDir: string): string {
  if (plain !== undefined) return plain;
  const file = join(outDir, 'child.mjs');
  const js = ts.transpileModule(readFileSync(CHILD_TS, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${js}\nawait childMain(process.argv[2]);\n`);
  plain = file;
  return file;
}

export interface CaseOptions {
  kind: ModuleKind;
  /** Where the plain-JS child is written. */
  outDir: string;
  /** Extra node flags for the child, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  timeoutMs?: number;
}

/**
 * Runs a task in a fresh node process and returns what it measured: bare node on the compiled library, or node
 * with this process's loader (tsx) on the sources. A child that fails or prints no result is an error: a benchmark
 * must not report a number it did not measure.
 */
export function runCase(task: Task, opts: CaseOptions): Promise<ChildResult> {
  const json = JSON.stringify(task);
  const args =
    opts.kind === 'dist'
      ? [...(opts.nodeFlags ?? []), plainChild(opts.outDir), json]
      : [...process.execArgv, ...(opts.nodeFlags ?? []), SCRIPT, '--child', json];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_TAG));
      if (code !== 0 || line === undefined) {
        reject(new Error(`case ${task.kind} failed (exit ${code ?? signal}): ${stderr.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_TAG.length)) as ChildResult);
    });
  });
}
