import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { createUser, hasUsers } from '../../access/index.js';
import { AuditLog } from '../../audit/index.js';
import { HOME_DIR, initHome } from '../../core/home.js';
import { loadHomeKeys } from '../../core/keys.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { resolveConfig } from '../resolve-config.js';
import { bindLogKey, openHomeStore } from '../runtime.js';

/** The first admin's default name: the OS user, folded to what user names allow. */
const defaultAdmin = (): string => userInfo().username.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64) || 'admin';

/**
 * `palisade init`: creates the home (or completes it), safe to re-run. On a store with no users yet it creates the
 * first admin and prints its token once.
 */
export async function runInit(flags: { json?: boolean; admin?: string }, io: Io, env: Env): Promise<number> {
  const home = env.home !== undefined ? resolve(io.cwd, env.home) : join(io.cwd, HOME_DIR);
  const r = initHome(home);
  // The first admin is created by the home's owner before any token exists, so no principal is needed (or
  // checked): the store is opened directly. Like every later user, it is recorded in the audit log (by the OS user
  // who ran init), so the log says where every admin's power came from.
  const { config } = resolveConfig(io.cwd, { ...env, home }, undefined);
  const store = await openHomeStore(io, config, home, undefined);
  let admin: { name: string; token: string } | undefined;
  try {
    if (!(await hasUsers(store))) {
      const actor = `os:${userInfo().username}`;
      const { token, user } = await createUser(store, { name: flags.admin ?? defaultAdmin(), role: 'admin', createdBy: actor });
      const log = new AuditLog(store, await bindLogKey(store, home, loadHomeKeys(home)));
      await log.record({ type: 'user.created', actor, subject: `user:${user.name}`, data: { role: user.role, kind: user.kind, first: true } });
      admin = { name: user.name, token };
    }
  } finally {
    await store.close();
  }
  if (flags.json === true) io.stdout(JSON.stringify({ ...r, ...(admin === undefined ? {} : { admin }) }, null, 2) + '\n');
  else {
    if (r.created.length === 0) io.stdout(`Palisade home ${home} is already set up\n`);
    else io.stdout(`Palisade home ${home}\n${r.created.map((c) => `  created ${c}`).join('\n')}\n`);
    if (admin !== undefined) io.stdout(`first admin: ${admin.name}\ntoken (shown only now; PALISADE_TOKEN): ${admin.token}\n`);
  }
  return 0;
}
