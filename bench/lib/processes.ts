import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Child processes for the gateway benchmarks: each is started with the current Node, in `cwd`, and killed when this
 * process exits, so an interrupted run leaves no gateway or upstream behind.
 */
export function processStarter(
  cwd: string,
  /** Pins every child (all its threads) to this CPU with taskset(1), as research/gateways.md §3 pinned the servers. */
  cpu?: number,
): {
  /** Starts a child and resolves with the first match of `ready` in its output. */
  start: (args: string[], ready: RegExp, env?: NodeJS.ProcessEnv) => Promise<{ child: ChildProcess; match: RegExpExecArray }>;
  children: ChildProcess[];
} {
  const children: ChildProcess[] = [];
  process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  const start = (args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; match: RegExpExecArray }> => {
    // taskset execs Node in its own process, so the child's pid is Node's.
    const [cmd, argv] = cpu === undefined ? [process.execPath, args] : ['taskset', ['-c', String(cpu), process.execPath, ...args]];
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

/**
 * Pins this process (the load generator, every thread) to the first CPU and returns the CPU for the servers, as
 * research/gateways.md §3 measured Portkey. Undefined (nothing pinned) when taskset is missing or there is one CPU.
 */
export function pinLoadGenerator(): { load: number; servers: number } | undefined {
  const cpus = availableParallelism();
  if (cpus < 2) return undefined;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { load: 0, servers: 1 };
}

/** Busy CPU seconds of the whole host so far (every CPU, from /proc/stat; steal time excluded). */
export function hostBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return (user! + nice! + system! + irq! + softirq!) / 100;
}

/**
 * Foreign load over an interval, in cores: the host's busy time less that of the processes measured (and of this
 * one). research/gateways.md §3 kept only runs with at most 0.3 cores of it.
 */
export class ForeignLoad {
  private readonly t0 = performance.now();
  private readonly host0 = hostBusySeconds();
  private readonly self0 = process.cpuUsage();
  private readonly own0: number;

  constructor(private readonly pids: readonly number[]) {
    this.own0 = this.own();
  }

  /** Cores of CPU used by anything else since construction. */
  cores(): number {
    const self = process.cpuUsage(this.self0);
    const ours = this.own() - this.own0 + (self.user + self.system) / 1e6;
    const seconds = (performance.now() - this.t0) / 1000;
    return Math.max(0, (hostBusySeconds() - this.host0 - ours) / seconds);
  }

  private own(): number {
    let s = 0;
    for (const pid of this.pids) {
      try {
        const c = cpuTimes(pid);
        s += c.user + c.system;
      } catch {
        // Exited since: what it used after the start is counted as foreign.
      }
    }
    return s;
  }
}
