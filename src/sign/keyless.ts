import { readFileSync } from 'node:fs';
import type { TrustMaterial } from '@sigstore/verify';
import { SignError } from './errors.js';

/** Who must have signed a keyless bundle, and the Sigstore trust root that vouches for the infrastructure. */
export interface KeylessPolicy {
  /** A trusted_root.json as Sigstore publishes it (parsed JSON). */
  trustedRoot: unknown;
  /** The certificate's subject alternative name (e-mail or URI), matched exactly. */
  identity: string;
  /** The OIDC issuer recorded in the certificate, matched exactly. */
  issuer: string;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Verifies a keyless (Sigstore) bundle fully offline with sigstore-js (`@sigstore/verify` 3.1, the last line for
 * Node 20): the Fulcio certificate chains to the trust root's CA, its SCT verifies against a CT log key, each Rekor
 * entry's SET or inclusion proof verifies against the log key and matches the envelope, the signature was made
 * while the certificate was valid (by the log's integrated time or an RFC 3161 timestamp), the DSSE signature
 * verifies, and the certificate names `identity` and `issuer`. Returns undefined when all hold, else the reason.
 * Loaded on first use, so the rest of Palisade does not load sigstore-js.
 */
export async function verifyKeyless(bundleJson: unknown, policy: KeylessPolicy): Promise<string | undefined> {
  const [{ Verifier, toSignedEntity }, { bundleFromJSON }] = await Promise.all([import('@sigstore/verify'), import('@sigstore/bundle')]);
  const material = await trustMaterial(policy.trustedRoot);
  try {
    // sigstore-js treats the identity as a regular expression: anchor and escape it for an exact match.
    new Verifier(material).verify(toSignedEntity(bundleFromJSON(bundleJson)), { subjectAlternativeName: `^${escape(policy.identity)}$`, extensions: { issuer: policy.issuer } });
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return `Sigstore verification failed${typeof code === 'string' ? ` (${code})` : ''}: ${(err as Error).message}`;
  }
}

/** sigstore-js's trust material from a parsed trusted_root.json; SIGN_TRUST_ROOT_INVALID says why it is not usable. */
async function trustMaterial(trustedRoot: unknown): Promise<TrustMaterial> {
  const [{ toTrustMaterial }, { TrustedRoot }] = await Promise.all([import('@sigstore/verify'), import('@sigstore/protobuf-specs')]);
  try {
    const root = trustedRoot as { mediaType?: unknown };
    if (typeof root !== 'object' || root === null || typeof root.mediaType !== 'string' || !root.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) throw new Error('its mediaType is not a Sigstore trusted root');
    return toTrustMaterial(TrustedRoot.fromJSON(root));
  } catch (err) {
    throw new SignError('SIGN_TRUST_ROOT_INVALID', `the trust root is not a usable Sigstore trusted_root.json: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Checks a parsed trusted_root.json before it is stored as trusted: usable, and naming a certificate authority for
 * keyless certificates to chain to (SIGN_TRUST_ROOT_INVALID says why not).
 */
export async function checkTrustedRoot(trustedRoot: unknown): Promise<void> {
  const material = await trustMaterial(trustedRoot);
  if (material.certificateAuthorities.length === 0) throw new SignError('SIGN_TRUST_ROOT_INVALID', 'the trust root names no certificate authority (Fulcio) for keyless certificates to chain to');
}

/**
 * The Sigstore public-good trusted_root.json shipped with Palisade (trust/sigstore-public-good.json), for keyless
 * signers trusted without a trust-root file of their own. A snapshot: Sigstore rotates its keys through TUF, so a
 * deployment that must follow rotations passes a current file instead (no network is used at run time).
 */
export function publicGoodTrustedRoot(): string {
  try {
    return readFileSync(new URL('../../trust/sigstore-public-good.json', import.meta.url), 'utf8');
  } catch (err) {
    throw new SignError('SIGN_TRUST_ROOT_INVALID', 'the shipped Sigstore trust root (trust/sigstore-public-good.json) is missing: reinstall Palisade or give a trusted_root.json file', { cause: err });
  }
}
