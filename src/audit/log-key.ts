import { sign, type KeyObject } from 'node:crypto';
import { logKeyId, rawEd25519 } from '../core/keys.js';
import { palisadeOrigin } from './checkpoint.js';
import { createVerifier, formatVerifierKey, keyId, type NoteSigner, type NoteVerifier } from './note.js';

/** The log's signing identity: its origin (`palisade/<key id>`), a note signer and the matching verifier. */
export interface LogKey {
  origin: string;
  /** The signed-note verifier key string (`<origin>+<id>+<base64>`), what a witness or auditor is given. */
  vkey: string;
  signer: NoteSigner;
  verifier: NoteVerifier;
}

/**
 * Binds an Ed25519 key pair to a log. The origin's ID is the first 4 bytes of SHA-256 of the raw public key; the
 * signed-note key name is the origin itself (tlog-checkpoint: the key name SHOULD be the origin), whose own key ID
 * is computed per signed-note from that name.
 */
export function logKey(privateKey: KeyObject, publicKey: KeyObject): LogKey {
  const raw = rawEd25519(publicKey);
  const origin = palisadeOrigin(parseInt(logKeyId(publicKey), 16));
  const vkey = formatVerifierKey(origin, raw);
  return {
    origin,
    vkey,
    signer: { name: origin, keyId: keyId(origin, raw), sign: (msg) => sign(null, msg, privateKey) },
    verifier: createVerifier(vkey),
  };
}

/** A verifier for a log from its public key alone (an auditor holding `log.pub`). */
export function logVerifier(publicKey: KeyObject): { origin: string; verifier: NoteVerifier } {
  const raw = rawEd25519(publicKey);
  const origin = palisadeOrigin(parseInt(logKeyId(publicKey), 16));
  return { origin, verifier: createVerifier(formatVerifierKey(origin, raw)) };
}
