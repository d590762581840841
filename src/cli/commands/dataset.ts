import { resolve } from 'node:path';
import type { Command } from 'commander';
import { listVersions, registerDataset } from '../../registry/index.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { out, registryAction, storeOptions } from '../registry-deps.js';
import type { StoreFlags } from '../runtime.js';
import { readInput } from './sign.js';

/** `palisade dataset register | list`: datasets in the registry, from their manifests (palisade data snapshot). */
export function registerDatasetCommands(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const ds = program.command('dataset').description('the dataset registry: versions by manifest root digest');
  const act = registryAction(io, env, setCode);

  storeOptions(ds.command('register').description('register a dataset version; its files must match the manifest'))
    .argument('<path>', 'dataset folder or file')
    .requiredOption('--manifest <file>', 'its manifest (palisade data snapshot)')
    .option('--version <version>', "version (default: the first 12 hex digits of the manifest's root digest)")
    .option('--copy', "copy the dataset into the home's content-addressed store")
    .action((path: string, f: StoreFlags & { manifest: string; version?: string; copy?: boolean }) =>
      act(f, async (deps, rt) => {
        const v = await registerDataset(deps, rt.principal, { path: resolve(io.cwd, path), manifestText: readInput(io, f.manifest, 'manifest').toString('utf8'), ...(f.version === undefined ? {} : { version: f.version }), copy: f.copy === true });
        out(io, f.json, { name: v.name, version: v.version, rootDigest: v.rootDigest, path: v.path, copied: v.copied }, `registered dataset ${v.name}@${v.version} (root digest ${v.rootDigest})`);
        return 0;
      }),
    );

  storeOptions(ds.command('list').description('registered dataset versions'))
    .argument('[name]', 'one dataset')
    .action((name: string | undefined, f: StoreFlags) =>
      act(f, async (deps, rt) => {
        rt.authorize('read', { type: 'Dataset', id: name ?? '*' });
        const l = await listVersions(deps, 'dataset', name);
        out(io, f.json, l.map((v) => ({ name: v.name, version: v.version, rootDigest: v.rootDigest, path: v.path })), l.map((v) => `${v.name}@${v.version}  ${v.rootDigest}`).join('\n'));
        return 0;
      }),
    );
}
