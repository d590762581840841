import type { Command } from 'commander';
import { OPERATIONS } from '../../control/index.js';
import { controlAction, remoteOptions } from '../control.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import type { StoreFlags } from '../runtime.js';
import { readInput } from './sign.js';

/** `palisade trust add | list | remove`: the keys and certificate roots whose signatures the registry accepts. */
export function registerTrust(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const trust = program.command('trust').description('signers the registry trusts: public keys and CA certificates (admin)');
  const act = controlAction(io, env, setCode);
  const ops = OPERATIONS.trust;

  remoteOptions(trust.command('add').description('trust a PEM public key or CA certificate'))
    .argument('<pem>', 'PEM file')
    .requiredOption('--name <name>', 'a name for it')
    .action((pem: string, f: StoreFlags & { name: string }) => act(f, ops.add, { name: f.name, pem: readInput(io, pem, 'PEM file').toString('utf8') }, (s) => `trusted ${s.kind} ${s.name} (${s.fingerprint})`));

  remoteOptions(trust.command('list').description('trusted signers')).action((f: StoreFlags) =>
    act(f, ops.list, {}, (l) => l.map((s) => `${s.name}  ${s.kind}  ${s.fingerprint}  added by ${s.addedBy} ${s.addedAt}`).join('\n')),
  );

  remoteOptions(trust.command('remove').description('stop trusting a signer'))
    .argument('<name>', 'its name')
    .action((name: string, f: StoreFlags) => act(f, ops.remove, { name }, () => `removed ${name}`));
}
