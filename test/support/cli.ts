import { main } from '../../src/cli/main.js';
import type { Env } from '../../src/cli/env.js';

/** Runs the CLI in-process with captured output. */
export async function run(argv: string[], opts: { cwd: string; env?: Env; stdin?: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stderrIsTTY: false, cwd: opts.cwd, readStdin: async () => opts.stdin ?? '' }, opts.env ?? {});
  return { code, stdout, stderr };
}
