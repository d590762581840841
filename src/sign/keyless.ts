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
  const [{ Verifier, toSignedEntity, toTrustMaterial }, { bundleFromJSON }, { TrustedRoot }] = await Promise.all([import('@sigstore/verify'), import('@sigstore/bundle'), import('@sigstore/protobuf-specs')]);
  let material;
  try {
    const root = policy.trustedRoot as { mediaType?: unknown };
    if (typeof root !== 'object' || root === null || typeof root.mediaType !== 'string' || !root.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) throw new Error('its mediaType is not a Sigstore trusted root');
    material = toTrustMaterial(TrustedRoot.fromJSON(root));
  } catch (err) {
    throw new SignError('SIGN_TRUST_ROOT_INVALID', `the trust root is not a usable Sigstore trusted_root.json: ${(err as Error).message}`, { cause: err });
  }
  try {
    // sigstore-js treats the identity as a regular expression: anchor and escape it for an exact match.
    new Verifier(material).verify(toSignedEntity(bundleFromJSON(bundleJson)), { subjectAlternativeName: `^${escape(policy.identity)}$`, extensions: { issuer: policy.issuer } });
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return `Sigstore verification failed${typeof code === 'string' ? ` (${code})` : ''}: ${(err as Error).message}`;
  }
}
