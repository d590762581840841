import type { Command } from 'commander';
import { OPERATIONS } from '../../control/operations.js';
import { controlAction, remoteOptions } from '../control.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import type { StoreFlags } from '../runtime.js';
import { readInput } from './sign.js';

/** `palisade trust add | list | remove`: the keys and certificate roots whose signatures the registry accepts. */
export function registerTrust(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const trust = program.command('trust').description('signers the registry trusts: public keys, CA certificates and keyless identities (admin)');
  const act = controlAction(io, env, setCode);
  const ops = OPERATIONS.trust;

  remoteOptions(trust.command('add').description('trust a PEM public key or CA certificate, or a keyless (Sigstore) signer by --identity and --issuer'))
    .argument('[pem]', 'PEM file (a public key or CA certificate)')
    .requiredOption('--name <name>', 'a name for it')
    .option('--identity <email-or-uri>', "keyless: the signer's identity in its Fulcio certificate (matched exactly)")
    .option('--issuer <url>', 'keyless: the OIDC issuer in the certificate (matched exactly)')
    .option('--trust-root <file>', 'keyless: the Sigstore trusted_root.json to chain to (default: the public-good root shipped with Palisade)')
    .action((pem: string | undefined, f: StoreFlags & { name: string; identity?: string; issuer?: string; trustRoot?: string }) =>
      act(
        f,
        ops.add,
        {
          name: f.name,
          ...(pem === undefined ? {} : { pem: readInput(io, pem, 'PEM file').toString('utf8') }),
          ...(f.identity === undefined ? {} : { identity: f.identity }),
          ...(f.issuer === undefined ? {} : { issuer: f.issuer }),
          ...(f.trustRoot === undefined ? {} : { trustedRoot: readInput(io, f.trustRoot, 'trust root').toString('utf8') }),
        },
        (s) => (s.kind === 'identity' ? `trusted keyless signer ${s.name}: ${s.identity} (issuer ${s.issuer}), trust root ${s.fingerprint}` : `trusted ${s.kind} ${s.name} (${s.fingerprint})`),
      ),
    );

  remoteOptions(trust.command('list').description('trusted signers')).action((f: StoreFlags) =>
    act(f, ops.list, {}, (l) => l.map((s) => `${s.name}  ${s.kind}  ${s.identity === undefined ? '' : `${s.identity} (issuer ${s.issuer})  `}${s.fingerprint}  added by ${s.addedBy} ${s.addedAt}`).join('\n')),
  );

  remoteOptions(trust.command('remove').description('stop trusting a signer'))
    .argument('<name>', 'its name')
    .action((name: string, f: StoreFlags) => act(f, ops.remove, { name }, () => `removed ${name}`));
}
