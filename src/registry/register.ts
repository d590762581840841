import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { authorize, type Principal } from '../access/index.js';
import { parseManifest, verifyDataset } from '../data/index.js';
import { serializeModel } from '../hashing/index.js';
import { missingCardFields, type CardDraft } from './card.js';
import { copyToStore } from './cas.js';
import { attestationCheck, scanCheck, signatureCheck } from './checks.js';
import { emit, nowOf, type RegistryDeps } from './deps.js';
import { RegistryError } from './errors.js';
import { checkName, checkVersion } from './names.js';
import { getVersion, type RegistrationFindings, type VersionRecord } from './versions.js';

export interface ModelRegistration {
  /** The model folder or file. */
  path: string;
  name: string;
  version: string;
  card?: CardDraft;
  /** OMS signature bundle text, and where the file was (left out of the digest when inside the model). */
  signature?: { text: string; path: string };
  attestation?: { text: string; path: string };
  /** The card file's path, left out of the digest when inside the model. */
  cardPath?: string;
  /** The serving endpoint of this version, e.g. http://10.0.0.5:8000/v1. */
  endpoint?: string;
  /** Copy into the home's content-addressed store instead of leaving it in place. */
  copy?: boolean;
  /** Extra globals the scanner allows (the config's scan.allow). */
  allow?: readonly string[];
  /** Progress of hashing the model: total bytes once listed, then bytes as they are hashed. */
  onListed?: (bytes: number) => void;
  onBytes?: (bytes: number) => void;
}

/** Paths inside `root` among `files`, relative to it (what the digest leaves out). */
function inside(root: string, files: readonly (string | undefined)[]): string[] {
  if (!statSync(root).isDirectory()) return [];
  return files.flatMap((f) => {
    if (f === undefined) return [];
    const rel = relative(root, resolve(f));
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? [rel.split('\\').join('/')] : [];
  });
}

async function assertNew(deps: RegistryDeps, kind: 'model' | 'dataset', name: string, version: string): Promise<void> {
  const row = await deps.store.db.selectFrom('registry_versions').select('version').where('kind', '=', kind).where('name', '=', name).where('version', '=', version).executeTakeFirst();
  if (row !== undefined) throw new RegistryError('REGISTRY_VERSION_EXISTS', `${kind} ${name}@${version} is already registered; versions are immutable: register a new version`);
}

const HTTP_URL = /^https?:\/\/[^\s/]+(\/\S*)?$/;

/**
 * Registers a model version: its OMS root digest, the scan verdict, signature and attestation checks against the
 * trusted signers, and the card's completeness. What the checks find is recorded, not thrown: the promotion gates
 * decide. Bad input (a malformed card, an unreadable path, a taken version) throws.
 */
export async function registerModel(deps: RegistryDeps, by: Principal, reg: ModelRegistration): Promise<VersionRecord> {
  const name = checkName(reg.name);
  const version = checkVersion(reg.version);
  authorize(by, 'register', { type: 'Model', id: name });
  if (reg.endpoint !== undefined && !HTTP_URL.test(reg.endpoint)) throw new RegistryError('REGISTRY_ARTIFACT_INVALID', `--endpoint must be an http:// or https:// URL, not '${reg.endpoint}'`);
  await assertNew(deps, 'model', name, version);
  const source = resolve(reg.path);
  try {
    statSync(source);
  } catch (err) {
    throw new RegistryError('REGISTRY_ARTIFACT_INVALID', `cannot read the model ${reg.path}: ${(err as Error).message}`, { cause: err });
  }
  const ignorePaths = inside(source, [reg.signature?.path, reg.attestation?.path, reg.cardPath]);
  const rootDigest = (await serializeModel(source, { ignorePaths, ...(reg.onListed === undefined ? {} : { onListed: reg.onListed }), ...(reg.onBytes === undefined ? {} : { onBytes: reg.onBytes }) })).rootDigest;
  const path = reg.copy === true ? await copyToStore(deps.home, source, rootDigest, ignorePaths) : source;
  const findings: RegistrationFindings = {
    ignorePaths,
    scan: await scanCheck(path, reg.allow ?? []),
    signature: await signatureCheck(deps, path, reg.signature?.text ?? null, ignorePaths),
    attestation: await attestationCheck(deps, rootDigest, reg.attestation?.text ?? null),
    cardMissing: missingCardFields(reg.card),
  };
  const now = nowOf(deps).toISOString();
  await deps.store.db
    .insertInto('registry_versions')
    .values({
      kind: 'model',
      name,
      version,
      root_digest: rootDigest,
      path,
      copied: reg.copy === true ? 1 : 0,
      endpoint: reg.endpoint ?? null,
      registrant: by.id,
      registered_at: now,
      findings: JSON.stringify(findings),
      signature: reg.signature?.text ?? null,
      attestation: reg.attestation?.text ?? null,
      card: reg.card === undefined ? null : JSON.stringify(reg.card),
      manifest: null,
      state: 'pending',
    })
    .execute();
  await emit(deps, {
    type: 'model.registered',
    actor: by.id,
    subject: `model:${name}`,
    data: { version, rootDigest, copied: reg.copy === true, endpoint: reg.endpoint ?? null, scan: findings.scan!.verdict, signature: findings.signature!.status, attestation: findings.attestation!.status, cardMissing: findings.cardMissing! },
  });
  return getVersion(deps, 'model', name, version);
}

/**
 * Registers a dataset version from its manifest (palisade data snapshot): the files must verify against it now.
 * The version defaults to the first 12 hex digits of the manifest's root digest.
 */
export async function registerDataset(deps: RegistryDeps, by: Principal, reg: { path: string; manifestText: string; version?: string; copy?: boolean }): Promise<VersionRecord> {
  const manifest = parseManifest(reg.manifestText);
  const name = checkName(manifest.name);
  const version = checkVersion(reg.version ?? manifest.rootDigest.slice(0, 12));
  authorize(by, 'registerDataset', { type: 'Dataset', id: name });
  await assertNew(deps, 'dataset', name, version);
  const source = resolve(reg.path);
  const v = await verifyDataset(source, manifest);
  if (!v.ok) throw new RegistryError('REGISTRY_ARTIFACT_INVALID', `${reg.path} does not match the manifest of ${name} (${v.consistent ? `modified: ${v.diff.modified.join(', ') || '-'}; added: ${v.diff.added.join(', ') || '-'}; removed: ${v.diff.removed.join(', ') || '-'}` : 'the manifest\'s root digest disagrees with its entries'})`);
  const path = reg.copy === true ? await copyToStore(deps.home, source, manifest.rootDigest, manifest.ignorePaths) : source;
  await deps.store.db
    .insertInto('registry_versions')
    .values({ kind: 'dataset', name, version, root_digest: manifest.rootDigest, path, copied: reg.copy === true ? 1 : 0, endpoint: null, registrant: by.id, registered_at: nowOf(deps).toISOString(), findings: JSON.stringify({ ignorePaths: manifest.ignorePaths }), signature: null, attestation: null, card: null, manifest: reg.manifestText, state: 'pending' })
    .execute();
  await emit(deps, { type: 'dataset.registered', actor: by.id, subject: `dataset:${name}`, data: { version, rootDigest: manifest.rootDigest, files: manifest.files, copied: reg.copy === true } });
  return getVersion(deps, 'dataset', name, version);
}

export type { VersionRecord };
