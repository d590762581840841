import type { Command } from 'commander';
import { OPERATIONS } from '../../control/operations.js';
import { controlAction, remoteOptions } from '../control.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import type { StoreFlags } from '../runtime.js';

/** `palisade users create | list | disable`: control-plane users and service accounts (admin). */
export function registerUsers(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const users = program.command('users').description('users and service accounts of the control plane, with roles (admin)');
  const act = controlAction(io, env, setCode);
  const ops = OPERATIONS.users;

  remoteOptions(users.command('create').description("create a user and print its token once (stored only as SHA-256)"))
    .argument('<name>', 'user name')
    .requiredOption('--role <role>', 'viewer | ml-engineer | security-reviewer | admin')
    .option('--service', 'a service account (CI, automation) rather than a person')
    .action((name: string, f: StoreFlags & { role: string; service?: boolean }) =>
      act(f, ops.create, { name, role: f.role, service: f.service === true }, {
        text: (u) => u.token,
        note: (u) => `created ${u.kind} ${name} (${u.role}); the token is shown only now: hand it over through a secret manager\n`,
      }),
    );

  remoteOptions(users.command('list').description('users and roles (never tokens)')).action((f: StoreFlags) =>
    act(f, ops.list, {}, (l) => l.map((u) => `${u.name}  ${u.role}  ${u.kind}${u.disabledAt === undefined ? '' : `  DISABLED ${u.disabledAt}`}`).join('\n')),
  );

  remoteOptions(users.command('disable').description("disable a user: its token stops working at once"))
    .argument('<name>', 'user name')
    .action((name: string, f: StoreFlags) => act(f, ops.disable, { name }, () => `disabled ${name}`));
}
