import type { Command } from 'commander';
import { addTrust, listTrust, removeTrust } from '../../registry/index.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { out, registryAction, storeOptions } from '../registry-deps.js';
import type { StoreFlags } from '../runtime.js';
import { readInput } from './sign.js';

/** `palisade trust add | list | remove`: the keys and certificate roots whose signatures the registry accepts. */
export function registerTrust(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const trust = program.command('trust').description('signers the registry trusts: public keys and CA certificates (admin)');
  const act = registryAction(io, env, setCode);

  storeOptions(trust.command('add').description('trust a PEM public key or CA certificate'))
    .argument('<pem>', 'PEM file')
    .requiredOption('--name <name>', 'a name for it')
    .action((pem: string, f: StoreFlags & { name: string }) =>
      act(f, async (deps, rt) => {
        const s = await addTrust(deps, rt.principal, f.name, readInput(io, pem, 'PEM file').toString('utf8'));
        out(io, f.json, s, `trusted ${s.kind} ${s.name} (${s.fingerprint})`);
        return 0;
      }),
    );

  storeOptions(trust.command('list').description('trusted signers')).action((f: StoreFlags) =>
    act(f, async (deps, rt) => {
      const l = await listTrust(deps, rt.principal);
      out(io, f.json, l, l.map((s) => `${s.name}  ${s.kind}  ${s.fingerprint}  added by ${s.addedBy} ${s.addedAt}`).join('\n'));
      return 0;
    }),
  );

  storeOptions(trust.command('remove').description('stop trusting a signer'))
    .argument('<name>', 'its name')
    .action((name: string, f: StoreFlags) =>
      act(f, async (deps, rt) => {
        await removeTrust(deps, rt.principal, name);
        out(io, f.json, { removed: name }, `removed ${name}`);
        return 0;
      }),
    );
}
