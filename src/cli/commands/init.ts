import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { createUser, hasUsers } from '../../access/index.js';
import { HOME_DIR, initHome } from '../../core/home.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { withRuntime } from '../runtime.js';

/** The first admin's default name: the OS user, folded to what user names allow. */
const defaultAdmin = (): string => userInfo().username.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64) || 'admin';

/**
 * `palisade init`: creates the home (or completes it), safe to re-run. On a store with no users yet it creates the
 * first admin and prints its token once.
 */
export async function runInit(flags: { json?: boolean; admin?: string }, io: Io, env: Env): Promise<number> {
  const home = env.home !== undefined ? resolve(io.cwd, env.home) : join(io.cwd, HOME_DIR);
  const r = initHome(home);
  // The first admin is created by the home's owner, before any token exists: acting as the OS user is the only way.
  const { token: _ignored, ...local } = env;
  const admin = await withRuntime(io, { ...local, home }, {}, async (rt) => {
    if (await hasUsers(rt.store)) return undefined;
    // Not in the audit log: a fresh home's log starts empty (its first entry is the first thing done with it).
    // The users table keeps who created the first admin and when.
    const { token, user } = await createUser(rt.store, { name: flags.admin ?? defaultAdmin(), role: 'admin', createdBy: rt.actor });
    return { name: user.name, token };
  });
  if (flags.json === true) io.stdout(JSON.stringify({ ...r, ...(admin === undefined ? {} : { admin }) }, null, 2) + '\n');
  else {
    if (r.created.length === 0) io.stdout(`Palisade home ${home} is already set up\n`);
    else io.stdout(`Palisade home ${home}\n${r.created.map((c) => `  created ${c}`).join('\n')}\n`);
    if (admin !== undefined) io.stdout(`first admin: ${admin.name}\ntoken (shown only now; PALISADE_TOKEN): ${admin.token}\n`);
  }
  return 0;
}
