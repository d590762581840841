import { sign, type KeyObject } from 'node:crypto';
import { logKeyId, rawEd25519 } from '../core/keys.js';
import { palisadeOrigin } from './checkpoint.js';
import { createVerifier, formatVerifierKey, keyId, type NoteSigner, type NoteVerifier } from './note.js';

/** The log's signing identity: its origin (`palisade/<key id>`), a note signer and the matching verifier. */
export interface LogKey {
  origin: string;
  /** This key's short ID (`logKeyId`: hex of the first 4 bytes of SHA-256 of the raw public key). */
  id: string;
  /** The signed-note verifier key string (`<origin>+<id>+<base64>`), what a witness or auditor is given. */
  vkey: string;
  signer: NoteSigner;
  verifier: NoteVerifier;
}

/** The origin a log gets from its first key: `palisade/` and the first 4 bytes of SHA-256 of the raw public key. */
export function originOf(publicKey: KeyObject): string {
  return palisadeOrigin(parseInt(logKeyId(publicKey), 16));
}

/**
 * Binds an Ed25519 key pair to a log. The signed-note key name is the origin itself (tlog-checkpoint: the key name
 * SHOULD be the origin), whose own key ID is computed per signed-note from that name and the key. The origin is
 * the log's first key's ({@link originOf}); after a rotation the log keeps it, so pass the stored one.
 */
export function logKey(privateKey: KeyObject, publicKey: KeyObject, origin: string = originOf(publicKey)): LogKey {
  const raw = rawEd25519(publicKey);
  const vkey = formatVerifierKey(origin, raw);
  return {
    origin,
    id: logKeyId(publicKey),
    vkey,
    signer: { name: origin, keyId: keyId(origin, raw), sign: (msg) => sign(null, msg, privateKey) },
    verifier: createVerifier(vkey),
  };
}

/** A verifier for a log from a public key alone (an auditor holding `log.pub`); the origin defaults to the key's own. */
export function logVerifier(publicKey: KeyObject, origin: string = originOf(publicKey)): { origin: string; verifier: NoteVerifier } {
  const raw = rawEd25519(publicKey);
  return { origin, verifier: createVerifier(formatVerifierKey(origin, raw)) };
}
