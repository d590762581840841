import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RESULT_TAG, type ChildResult, type Task } from './child.js';

const SCRIPT = fileURLToPath(new URL('../scan-throughput.ts', import.meta.url));

export interface CaseOptions {
  /** Extra node flags for the child, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  timeoutMs?: number;
}

/**
 * Runs a task in a fresh node process with the same loader (tsx) this process was started with, and returns what
 * it measured. A child that fails or prints no result is an error: a benchmark must not report a number it did
 * not measure.
 */
export function runCase(task: Task, opts: CaseOptions = {}): Promise<ChildResult> {
  const args = [...process.execArgv, ...(opts.nodeFlags ?? []), SCRIPT, '--child', JSON.stringify(task)];
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
