import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { authorize, type Principal } from '../access/index.js';
import { keyHint, publicKeyFrom } from '../sign/index.js';
import { emit, nowOf, type RegistryDeps } from './deps.js';
import { RegistryError } from './errors.js';
import { checkName } from './names.js';

export interface TrustedSigner {
  name: string;
  /** key: a public key; root: a CA certificate anchoring certificate-method signatures. */
  kind: 'key' | 'root';
  /** Key hint (keys) or SHA-256 fingerprint (certificates). */
  fingerprint: string;
  addedBy: string;
  addedAt: string;
}

const MAX_PEM = 64 * 1024;

/** Reads a PEM public key or CA certificate; anything else is refused naming what was expected. */
function readPem(pem: string): { kind: 'key' | 'root'; fingerprint: string } {
  if (pem.length > MAX_PEM) throw new RegistryError('REGISTRY_TRUST_INVALID', `the PEM file is larger than ${MAX_PEM} bytes`);
  try {
    if (pem.includes('-----BEGIN CERTIFICATE-----')) {
      const c = new X509Certificate(pem);
      if (c.ca !== true) throw new Error('the certificate is not a CA certificate (basicConstraints CA:TRUE)');
      return { kind: 'root', fingerprint: c.fingerprint256 };
    }
    return { kind: 'key', fingerprint: keyHint(publicKeyFrom(pem, 'the trusted key')) };
  } catch (err) {
    throw new RegistryError('REGISTRY_TRUST_INVALID', `not a PEM public key or CA certificate: ${(err as Error).message}`, { cause: err });
  }
}

/** Adds a key or certificate root whose signatures the registry accepts (admin). */
export async function addTrust(deps: RegistryDeps, by: Principal, name: string, pem: string): Promise<TrustedSigner> {
  authorize(by, 'manageTrust', { type: 'Trust', id: checkName(name) });
  const { kind, fingerprint } = readPem(pem);
  const exists = await deps.store.db.selectFrom('registry_trust').select('name').where('name', '=', name).executeTakeFirst();
  if (exists !== undefined) throw new RegistryError('REGISTRY_TRUST_INVALID', `a trusted signer is already named '${name}': remove it first or choose another name`);
  const s: TrustedSigner = { name, kind, fingerprint, addedBy: by.id, addedAt: nowOf(deps).toISOString() };
  await deps.store.db.insertInto('registry_trust').values({ name, kind, pem, fingerprint, added_by: s.addedBy, added_at: s.addedAt }).execute();
  await emit(deps, { type: 'trust.added', actor: by.id, subject: `trust:${name}`, data: { kind, fingerprint } });
  return s;
}

export async function listTrust(deps: RegistryDeps, by: Principal): Promise<TrustedSigner[]> {
  authorize(by, 'read', { type: 'Trust', id: 'signers' });
  const rows = await deps.store.db.selectFrom('registry_trust').selectAll().orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, kind: r.kind, fingerprint: r.fingerprint, addedBy: r.added_by, addedAt: r.added_at }));
}

export async function removeTrust(deps: RegistryDeps, by: Principal, name: string): Promise<void> {
  authorize(by, 'manageTrust', { type: 'Trust', id: name });
  const r = await deps.store.db.deleteFrom('registry_trust').where('name', '=', name).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw new RegistryError('REGISTRY_TRUST_INVALID', `no trusted signer is named '${name}' (palisade trust list)`);
  await emit(deps, { type: 'trust.removed', actor: by.id, subject: `trust:${name}`, data: {} });
}

/** The trusted keys and certificate roots, ready for verification. */
export async function trustMaterial(deps: RegistryDeps): Promise<{ keys: { name: string; key: KeyObject }[]; roots: { name: string; cert: X509Certificate }[] }> {
  const rows = await deps.store.db.selectFrom('registry_trust').selectAll().orderBy('name').execute();
  return {
    keys: rows.filter((r) => r.kind === 'key').map((r) => ({ name: r.name, key: createPublicKey(r.pem) })),
    roots: rows.filter((r) => r.kind === 'root').map((r) => ({ name: r.name, cert: new X509Certificate(r.pem) })),
  };
}
