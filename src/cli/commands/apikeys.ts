import type { Command } from 'commander';
import { CoreError } from '../../core/errors.js';
import { OPERATIONS } from '../../control/operations.js';
import type { ApiKeyRecord } from '../../gateway/api-keys.js';
import { controlAction, remoteOptions } from '../control.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { intFlag, type StoreFlags } from '../runtime.js';

type Common = StoreFlags;
const positive = (v: string | undefined, flag: string): number | undefined => intFlag(v, flag, 1);

function parseExpiry(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  // A bare date means the end of that day, UTC: "expires 2027-01-31" should still work on the 31st.
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T23:59:59.999Z` : v);
  if (Number.isNaN(d.getTime())) throw new CoreError('CORE_USAGE', `--expires must be a date like 2027-01-31 or 2027-01-31T12:00:00Z, not '${v}'`);
  return d;
}

const line = (k: ApiKeyRecord): string =>
  `${k.id}  ${k.name}  models=${k.models.join(',')}${k.rpm === undefined ? '' : `  rpm=${k.rpm}`}${k.tpm === undefined ? '' : `  tpm=${k.tpm}`}${k.expiresAt === undefined ? '' : `  expires=${k.expiresAt}`}${k.revokedAt === undefined ? '' : `  REVOKED ${k.revokedAt}`}`;

/** `palisade apikeys create | list | revoke`: the gateway's API keys (stored as SHA-256 only). */
export function registerApiKeys(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const cmd = program.command('apikeys').description("the gateway's API keys: shown once at creation, stored only as SHA-256");
  const act = controlAction(io, env, setCode);
  const ops = OPERATIONS.apikeys;

  remoteOptions(cmd.command('create').description('create a key and print it once'))
    .requiredOption('--name <name>', 'who or what uses it')
    .requiredOption('--models <list>', 'models it may call, comma-separated')
    .option('--rpm <n>', 'requests per minute (default: limits.default)')
    .option('--tpm <n>', 'tokens per minute (default: limits.default)')
    .option('--expires <date>', 'last valid day (2027-01-31) or instant (RFC 3339)')
    .action((f: Common & { name: string; models: string; rpm?: string; tpm?: string; expires?: string }) => {
      const rpm = positive(f.rpm, '--rpm');
      const tpm = positive(f.tpm, '--tpm');
      const expiresAt = parseExpiry(f.expires);
      const models = f.models.split(',').map((m) => m.trim()).filter((m) => m !== '');
      return act(f, ops.create, { name: f.name, models, rpm, tpm, expiresAt: expiresAt?.toISOString() }, {
        text: (k) => k.key,
        note: (k) => `created API key ${k.id} (${k.name}); it is shown only now: store it in a secret manager\n`,
      });
    });

  remoteOptions(cmd.command('list').description('list keys (never the keys themselves)')).action((f: Common) => act(f, ops.list, {}, (keys) => keys.map(line).join('\n')));

  remoteOptions(cmd.command('revoke').description('revoke a key by id; every gateway drops it within about a second'))
    .argument('<id>', 'the key id (palisade apikeys list)')
    .action((id: string, f: Common) => act(f, ops.revoke, { id }, (k) => `revoked ${line(k)}`));
}
