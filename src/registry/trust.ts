import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { authorize, type Principal } from '../access/index.js';
import { checkTrustedRoot, keyHint, publicGoodTrustedRoot, publicKeyFrom, SignError, type KeylessPolicy } from '../sign/index.js';
import { emit, nowOf, type RegistryDeps } from './deps.js';
import { RegistryError } from './errors.js';
import { checkName } from './names.js';

export interface TrustedSigner {
  name: string;
  /**
   * key: a public key; root: a CA certificate anchoring certificate-method signatures; identity: a keyless
   * (Sigstore) signer, by the identity and issuer in its Fulcio certificate.
   */
  kind: 'key' | 'root' | 'identity';
  /** Key hint (keys), SHA-256 fingerprint (certificates), or `sha256:` of the Sigstore trust root (identities). */
  fingerprint: string;
  /** Identities: the certificate's subject alternative name (e-mail or URI) and OIDC issuer, matched exactly. */
  identity?: string;
  issuer?: string;
  addedBy: string;
  addedAt: string;
}

/** A keyless signer to trust: who, by which issuer, and the Sigstore trust root (default: the shipped public-good one). */
export interface TrustedIdentity {
  identity: string;
  issuer: string;
  /** trusted_root.json text; undefined: Sigstore's public-good instance, as shipped with Palisade. */
  trustedRoot?: string;
}

const MAX_PEM = 64 * 1024;
const MAX_TRUST_ROOT = 1024 * 1024;
/** An e-mail address or a URI (as in a Fulcio certificate's SAN): printable, no spaces. */
const IDENTITY = /^[^\s\p{Cc}]{3,512}$/u;
const ISSUER = /^https?:\/\/[^\s/]+(\/\S*)?$/;

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

/** Checks a keyless signer's identity, issuer and trust root; returns the root text to store and its fingerprint. */
async function readIdentity(t: TrustedIdentity): Promise<{ pem: string; fingerprint: string }> {
  if (!IDENTITY.test(t.identity)) throw new RegistryError('REGISTRY_TRUST_INVALID', `--identity must be the e-mail address or URI in the signer's certificate, not '${t.identity.slice(0, 64)}'`);
  if (!ISSUER.test(t.issuer)) throw new RegistryError('REGISTRY_TRUST_INVALID', `--issuer must be the OIDC issuer URL (e.g. https://accounts.google.com), not '${t.issuer.slice(0, 64)}'`);
  const root = t.trustedRoot ?? publicGoodTrustedRoot();
  if (root.length > MAX_TRUST_ROOT) throw new RegistryError('REGISTRY_TRUST_INVALID', `the trust root file is larger than ${MAX_TRUST_ROOT} bytes`);
  try {
    await checkTrustedRoot(JSON.parse(root));
  } catch (err) {
    const why = err instanceof SignError ? err.message : `the trust root is not JSON: ${(err as Error).message}`;
    throw new RegistryError('REGISTRY_TRUST_INVALID', `${why}; give a Sigstore trusted_root.json with --trust-root`, { cause: err });
  }
  return { pem: root, fingerprint: `sha256:${createHash('sha256').update(root).digest('hex')}` };
}

/**
 * Adds a signer whose signatures the registry accepts (admin): a PEM public key or CA certificate, or a keyless
 * (Sigstore) identity and issuer whose Fulcio certificates must chain to a trust root.
 */
export async function addTrust(deps: RegistryDeps, by: Principal, name: string, what: string | TrustedIdentity): Promise<TrustedSigner> {
  authorize(by, 'manageTrust', { type: 'Trust', id: checkName(name) });
  const keyless = typeof what === 'string' ? undefined : what;
  const { kind, fingerprint, pem } = typeof what === 'string' ? { ...readPem(what), pem: what } : { kind: 'identity' as const, ...(await readIdentity(what)) };
  const exists = await deps.store.db.selectFrom('registry_trust').select('name').where('name', '=', name).executeTakeFirst();
  if (exists !== undefined) throw new RegistryError('REGISTRY_TRUST_INVALID', `a trusted signer is already named '${name}': remove it first or choose another name`);
  const s: TrustedSigner = { name, kind, fingerprint, ...(keyless === undefined ? {} : { identity: keyless.identity, issuer: keyless.issuer }), addedBy: by.id, addedAt: nowOf(deps).toISOString() };
  await deps.store.db.insertInto('registry_trust').values({ name, kind, pem, fingerprint, identity: keyless?.identity ?? null, issuer: keyless?.issuer ?? null, added_by: s.addedBy, added_at: s.addedAt }).execute();
  await emit(deps, { type: 'trust.added', actor: by.id, subject: `trust:${name}`, data: { kind, fingerprint, ...(keyless === undefined ? {} : { identity: keyless.identity, issuer: keyless.issuer }) } });
  return s;
}

export async function listTrust(deps: RegistryDeps, by: Principal): Promise<TrustedSigner[]> {
  authorize(by, 'read', { type: 'Trust', id: 'signers' });
  const rows = await deps.store.db.selectFrom('registry_trust').selectAll().orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, kind: r.kind, fingerprint: r.fingerprint, ...(r.identity === null ? {} : { identity: r.identity }), ...(r.issuer === null ? {} : { issuer: r.issuer }), addedBy: r.added_by, addedAt: r.added_at }));
}

export async function removeTrust(deps: RegistryDeps, by: Principal, name: string): Promise<void> {
  authorize(by, 'manageTrust', { type: 'Trust', id: name });
  const r = await deps.store.db.deleteFrom('registry_trust').where('name', '=', name).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw new RegistryError('REGISTRY_TRUST_INVALID', `no trusted signer is named '${name}' (palisade trust list)`);
  await emit(deps, { type: 'trust.removed', actor: by.id, subject: `trust:${name}`, data: {} });
}

/** The trusted keys, certificate roots and keyless identities, ready for verification. */
export async function trustMaterial(deps: RegistryDeps): Promise<{ keys: { name: string; key: KeyObject }[]; roots: { name: string; cert: X509Certificate }[]; identities: { name: string; policy: KeylessPolicy }[] }> {
  const rows = await deps.store.db.selectFrom('registry_trust').selectAll().orderBy('name').execute();
  return {
    keys: rows.filter((r) => r.kind === 'key').map((r) => ({ name: r.name, key: createPublicKey(r.pem) })),
    roots: rows.filter((r) => r.kind === 'root').map((r) => ({ name: r.name, cert: new X509Certificate(r.pem) })),
    identities: rows.filter((r) => r.kind === 'identity').map((r) => ({ name: r.name, policy: { trustedRoot: JSON.parse(r.pem) as unknown, identity: r.identity ?? '', issuer: r.issuer ?? '' } })),
  };
}
