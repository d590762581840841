import { join, resolve } from 'node:path';
import { HOME_DIR, initHome } from '../../core/home.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';

/** `palisade init`: creates the home (or completes it), safe to re-run. */
export function runInit(flags: { json?: boolean }, io: Io, env: Env): number {
  const home = env.home !== undefined ? resolve(io.cwd, env.home) : join(io.cwd, HOME_DIR);
  const r = initHome(home);
  if (flags.json === true) io.stdout(JSON.stringify(r, null, 2) + '\n');
  else if (r.created.length === 0) io.stdout(`Palisade home ${home} is already set up\n`);
  else io.stdout(`Palisade home ${home}\n${r.created.map((c) => `  created ${c}`).join('\n')}\n`);
  return 0;
}
