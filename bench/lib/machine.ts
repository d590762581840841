import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
  kernel: string;
  memoryGiB: number;
  commit: string;
}

/** What the figures were measured on: they mean little without it. */
export function describeMachine(): Machine {
  let cpuModel = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m !== null) cpuModel = m[1]!.trim();
  } catch {
    // Not Linux: leave it unknown rather than guess.
  }
  return {
    cpus: availableParallelism(),
    cpuModel,
    node: process.version,
    kernel: release(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    commit: gitCommit(),
  };
}

/** The commit measured, and whether the tree had uncommitted changes (read-only git commands). */
function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim();
    return dirty === '' ? head : `${head} + uncommitted changes in src/`;
  } catch {
    return 'unknown';
  }
}
