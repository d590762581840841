import { createVerifier, parseVerifierKey, type NoteVerifier } from './note.js';
import type { LogKey } from './log-key.js';

/**
 * Key rotation. The log announces its next key in an ordinary entry (`audit.key_rotated`) whose data carries a
 * statement signed by the key being retired and by the new one:
 *
 *     palisade-log-key-rotation/v1\n<origin>\n<previous verifier key>\n<new verifier key>\n
 *
 * The retiring key's signature is what makes the new key trustworthy to anyone holding only the old public key; the
 * new key's signature shows its holder had the private half. Checkpoints up to the announcement are signed by the
 * old key; the checkpoint that first includes it is signed by both, and every later one by the new key alone.
 * The origin never changes, so witnesses and bundles keep naming one log.
 */
export const ROTATION_EVENT_TYPE = 'audit.key_rotated';

export interface RotationData {
  previousKey: string;
  newKey: string;
  /** Base64 Ed25519 signatures over {@link rotationStatement}. */
  previousSignature: string;
  newSignature: string;
}

export function rotationStatement(origin: string, previousKey: string, newKey: string): Buffer {
  return Buffer.from(`palisade-log-key-rotation/v1\n${origin}\n${previousKey}\n${newKey}\n`, 'utf8');
}

/** The entry data announcing `next` as the successor of `current` (both bound to the same origin). */
export function rotationData(current: LogKey, next: LogKey): RotationData {
  const statement = rotationStatement(current.origin, current.vkey, next.vkey);
  return {
    previousKey: current.vkey,
    newKey: next.vkey,
    previousSignature: Buffer.from(current.signer.sign(statement)).toString('base64'),
    newSignature: Buffer.from(next.signer.sign(statement)).toString('base64'),
  };
}

/**
 * Checks a rotation entry's data against the key trusted at that point of the log. Returns the new key's verifier,
 * or why the announcement cannot be trusted. `seen` holds the key IDs already used by this log: returning to a
 * retired key is refused, so an old announcement replayed later cannot revive a retired key.
 */
export function acceptRotation(data: unknown, origin: string, active: NoteVerifier, seen: ReadonlySet<number>): { verifier: NoteVerifier } | { reason: string } {
  const d = data as Partial<RotationData> | null;
  if (d === null || typeof d !== 'object' || [d.previousKey, d.newKey, d.previousSignature, d.newSignature].some((v) => typeof v !== 'string')) {
    return { reason: 'the key rotation entry lacks previousKey, newKey and both signatures' };
  }
  let next: NoteVerifier;
  try {
    const prev = parseVerifierKey(d.previousKey!);
    if (prev.name !== active.name || prev.keyId !== active.keyId) return { reason: `the key rotation names ${prev.name}+${prev.keyId.toString(16)} as the previous key, but the log was signed by another key at that point` };
    next = createVerifier(d.newKey!);
  } catch (err) {
    return { reason: `the key rotation entry holds a malformed key: ${(err as Error).message}` };
  }
  if (next.name !== origin) return { reason: `the new key is named ${next.name}, not the log's origin ${origin}` };
  if (seen.has(next.keyId)) return { reason: 'the key rotation returns to a key this log already used' };
  const statement = rotationStatement(origin, d.previousKey!, d.newKey!);
  const sig = (b64: string): Buffer => Buffer.from(b64, 'base64');
  if (!safe(() => active.verify(statement, sig(d.previousSignature!)))) return { reason: 'the key rotation is not signed by the key it retires' };
  if (!safe(() => next.verify(statement, sig(d.newSignature!)))) return { reason: 'the key rotation is not signed by the key it announces' };
  return { verifier: next };
}

function safe(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}
