import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SignError } from './errors.js';

/** OMS algorithm registry: ECDSA on these curves, with the hash that follows the curve (and nothing else). */
const CURVES = {
  prime256v1: { hash: 'sha256', name: 'p256', details: 'PKIX_ECDSA_P256_SHA_256' },
  secp384r1: { hash: 'sha384', name: 'p384', details: 'PKIX_ECDSA_P384_SHA_384' },
  secp521r1: { hash: 'sha512', name: 'p521', details: 'PKIX_ECDSA_P521_SHA_512' },
} as const;

export type Curve = 'p256' | 'p384' | 'p521';
export const NAMED_CURVES: Record<Curve, string> = { p256: 'P-256', p384: 'P-384', p521: 'P-521' };

function curveOf(key: KeyObject): (typeof CURVES)[keyof typeof CURVES] {
  const named = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const c = named === undefined ? undefined : CURVES[named as keyof typeof CURVES];
  if (c === undefined) {
    const what = key.asymmetricKeyType === 'ec' ? `EC curve ${named}` : `${key.asymmetricKeyType} key`;
    throw new SignError('SIGN_KEY_UNSUPPORTED', `an ${what} cannot make OMS signatures: use ECDSA P-256, P-384 or P-521 (palisade keygen makes one)`);
  }
  return c;
}

/** The DSSE signature hash for a key: SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521. */
export const hashForKey = (key: KeyObject): string => curveOf(key).hash;

/** The Sigstore `keyDetails` name of a key, as older OMS bundles record it. */
export const keyDetails = (key: KeyObject): string => curveOf(key).details;

/** Our short curve name (`p256`, …) of a supported key. */
export const curveName = (key: KeyObject): Curve => curveOf(key).name;

/** The SPKI PEM of a public key, re-encoded canonically (what the OMS key hint is computed over). */
export const spkiPem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }) as string;

/** OMS v1.1+ `publicKey.hint`: hex SHA-256 of the canonical SPKI PEM (with its trailing newline). */
export function keyHint(key: KeyObject): string {
  curveOf(key);
  return createHash('sha256').update(spkiPem(key)).digest('hex');
}

/** Parses a PEM (or DER SPKI) public key, or the public half of a private key; refuses unsupported ones. */
export function publicKeyFrom(bytes: Buffer | string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = typeof bytes !== 'string' && bytes[0] === 0x30 ? createPublicKey({ key: bytes, format: 'der', type: 'spki' }) : createPublicKey(bytes);
  } catch (err) {
    throw new SignError('SIGN_KEY_INVALID', `${what} is not a public key in PEM form: ${(err as Error).message}`, { cause: err });
  }
  curveOf(key);
  return key;
}

/** Parses an unencrypted PEM private key and checks its curve. */
export function privateKeyFrom(pem: Buffer | string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new SignError('SIGN_KEY_INVALID', `${what} is not an unencrypted PEM private key: ${(err as Error).message}`, { cause: err });
  }
  curveOf(key);
  return key;
}

/** True when two public keys are the same key (their SPKI DER encodings are equal). */
export const sameKey = (a: KeyObject, b: KeyObject): boolean => a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
