import { resolve } from 'node:path';
import type { Command } from 'commander';
import { OPERATIONS } from '../../control/operations.js';
import { registerDataset } from '../../registry/index.js';
import { controlAction, localOnly, remoteOptions } from '../control.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { out, registryAction, storeOptions } from '../registry-deps.js';
import type { StoreFlags } from '../runtime.js';
import { readInput } from './sign.js';

/** `palisade dataset register | list`: datasets in the registry, from their manifests (palisade data snapshot). */
export function registerDatasetCommands(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const ds = program.command('dataset').description('the dataset registry: versions by manifest root digest');
  const local = registryAction(io, env, setCode);
  const act = controlAction(io, env, setCode);

  storeOptions(ds.command('register').description('register a dataset version; its files must match the manifest'))
    .argument('<path>', 'dataset folder or file')
    .requiredOption('--manifest <file>', 'its manifest (palisade data snapshot)')
    .option('--version <version>', "version (default: the first 12 hex digits of the manifest's root digest)")
    .option('--copy', "copy the dataset into the home's content-addressed store")
    .action((path: string, f: StoreFlags & { manifest: string; version?: string; copy?: boolean }) => {
      localOnly(env, 'dataset register', "it reads and hashes the files here; register on the server's host, or here against its store (--store postgres://…)");
      return local(f, async (deps, rt) => {
        const v = await registerDataset(deps, rt.principal, { path: resolve(io.cwd, path), manifestText: readInput(io, f.manifest, 'manifest').toString('utf8'), ...(f.version === undefined ? {} : { version: f.version }), copy: f.copy === true });
        out(io, f.json, { name: v.name, version: v.version, rootDigest: v.rootDigest, path: v.path, copied: v.copied }, `registered dataset ${v.name}@${v.version} (root digest ${v.rootDigest})`);
        return 0;
      });
    });

  remoteOptions(ds.command('list').description('registered dataset versions'))
    .argument('[name]', 'one dataset')
    .action((name: string | undefined, f: StoreFlags) => act(f, OPERATIONS.dataset.list, { name }, (l) => l.map((v) => `${v.name}@${v.version}  ${v.rootDigest}`).join('\n')));
}
