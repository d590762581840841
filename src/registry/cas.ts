import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { serializeModel } from '../hashing/index.js';
import { RegistryError } from './errors.js';

/**
 * Copies an artifact into the home's content-addressed store, `<home>/registry/objects/<root digest>/<name>`, and
 * checks the copy hashes to the same root digest (a file changed while copying is refused). An object already
 * there is reused: the same digest is the same content.
 */
export async function copyToStore(home: string, source: string, rootDigest: string, ignorePaths: readonly string[]): Promise<string> {
  const dir = join(home, 'registry', 'objects', rootDigest);
  const dest = join(dir, basename(source));
  if (existsSync(dest)) return dest;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.incoming-${process.pid}-${Date.now()}`);
  cpSync(source, tmp, { recursive: true, verbatimSymlinks: true, errorOnExist: true });
  const copied = (await serializeModel(tmp, { ignorePaths })).rootDigest;
  if (copied !== rootDigest) {
    rmSync(tmp, { recursive: true, force: true });
    throw new RegistryError('REGISTRY_ARTIFACT_INVALID', `${source} changed while it was copied (root digest ${copied}, expected ${rootDigest}); register it again`);
  }
  renameSync(tmp, dest);
  return dest;
}
