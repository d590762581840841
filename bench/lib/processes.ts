import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Child processes for the gateway benchmarks: each is started with the current Node, in `cwd`, and killed when this
 * process exits, so an interrupted run leaves no gateway or upstream behind.
 */
export function processStarter(cwd: string): {
  /** Starts a child and resolves with the first match of `ready` in its output. */
  start: (args: string[], ready: RegExp, env?: NodeJS.ProcessEnv) => Promise<{ child: ChildProcess; match: RegExpExecArray }>;
  children: ChildProcess[];
} {
  const children: ChildProcess[] = [];
  process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  const start = (args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; match: RegExpExecArray }> => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let text = '';
    return new Promise((resolve, reject) => {
      const on = (b: Buffer): void => {
        text += b.toString();
        const m = ready.exec(text);
        if (m !== null) resolve({ child, match: m });
      };
      child.stdout!.on('data', on);
      child.stderr!.on('data', on);
      child.once('exit', (c) => reject(new Error(`child exited ${c}: ${text}`)));
    });
  };
  return { start, children };
}

/** Node arguments that start the demo upstream from the compiled library and print `UP <url>`. */
export function demoUpstreamArgs(distIndex: string): string[] {
  return ['--input-type=module', '-e', `const { startDemoUpstream } = await import(${JSON.stringify(distIndex)}); const u = await startDemoUpstream(); console.log('UP ' + u.url);`];
}

/** User and system (kernel) CPU seconds of a process so far (Linux /proc). */
export function cpuTimes(pid: number): { user: number; system: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** Peak resident memory of a process so far, in MiB (Linux /proc VmHWM). */
export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}
