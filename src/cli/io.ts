import { writeFileSync } from 'node:fs';

/** Where a command writes: injected so tests can capture output without spawning a process. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (progress bars go there). */
  stderrIsTTY: boolean;
  cwd: string;
  /** Reads all of stdin (commands that take JSON Lines on stdin). */
  readStdin?: () => Promise<string>;
}

export const processIo = (): Io => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stderrIsTTY: process.stderr.isTTY === true,
  cwd: process.cwd(),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
});

/** Writes a report to `--output FILE` or to stdout. */
export function emit(io: Io, text: string, output: string | undefined): void {
  if (output === undefined) io.stdout(text);
  else writeFileSync(output, text);
}
