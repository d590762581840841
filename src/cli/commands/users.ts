import type { Command } from 'commander';
import { createUser, disableUser, listUsers } from '../../access/index.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { out, storeOptions } from '../registry-deps.js';
import { withRuntime, type StoreFlags } from '../runtime.js';

/** `palisade users create | list | disable`: control-plane users and service accounts (admin). */
export function registerUsers(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const users = program.command('users').description('users and service accounts of the control plane, with roles (admin)');
  const act = (f: StoreFlags, fn: Parameters<typeof withRuntime<number>>[3]): Promise<void> => withRuntime(io, env, f, fn).then(setCode);

  storeOptions(users.command('create').description("create a user and print its token once (stored only as SHA-256)"))
    .argument('<name>', 'user name')
    .requiredOption('--role <role>', 'viewer | ml-engineer | security-reviewer | admin')
    .option('--service', 'a service account (CI, automation) rather than a person')
    .action((name: string, f: StoreFlags & { role: string; service?: boolean }) =>
      act(f, async (rt) => {
        rt.authorize('manageUsers', { type: 'Users', id: name });
        const { token, user } = await createUser(rt.store, { name, role: f.role, kind: f.service === true ? 'service' : 'user', createdBy: rt.actor });
        await rt.log.record({ type: 'user.created', actor: rt.actor, subject: `user:${name}`, data: { role: user.role, kind: user.kind } });
        if (f.json === true) io.stdout(JSON.stringify({ token, ...user }, null, 2) + '\n');
        else {
          io.stdout(`${token}\n`);
          io.stderr(`created ${user.kind} ${name} (${user.role}); the token is shown only now: hand it over through a secret manager\n`);
        }
        return 0;
      }),
    );

  storeOptions(users.command('list').description('users and roles (never tokens)')).action((f: StoreFlags) =>
    act(f, async (rt) => {
      rt.authorize('read', { type: 'Users', id: '*' });
      const l = await listUsers(rt.store);
      out(io, f.json, l, l.map((u) => `${u.name}  ${u.role}  ${u.kind}${u.disabledAt === undefined ? '' : `  DISABLED ${u.disabledAt}`}`).join('\n'));
      return 0;
    }),
  );

  storeOptions(users.command('disable').description("disable a user: its token stops working at once"))
    .argument('<name>', 'user name')
    .action((name: string, f: StoreFlags) =>
      act(f, async (rt) => {
        rt.authorize('manageUsers', { type: 'Users', id: name });
        const u = await disableUser(rt.store, name);
        await rt.log.record({ type: 'user.disabled', actor: rt.actor, subject: `user:${name}`, data: { role: u.role } });
        out(io, f.json, u, `disabled ${name}`);
        return 0;
      }),
    );
}
