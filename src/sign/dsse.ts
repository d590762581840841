import { sign, verify, type KeyObject } from 'node:crypto';
import { hashForKey } from './keys.js';

/** The in-toto payload type every OMS envelope carries. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** DSSE v1 pre-authentication encoding: "DSSEv1" SP len(type) SP type SP len(body) SP body (lengths in bytes). */
export function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

/**
 * The PAE that model_signing v0.2 signed: "DSSEV1", and the body as Python's `repr(bytes)` instead of the bytes.
 * Accepted in verification only (OMS spec: a verifier MAY accept it and MUST NOT produce it), always with SHA-256.
 */
export function legacyPae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEV1 ${Buffer.byteLength(type)} ${type} ${body.length} `), Buffer.from(pythonBytesRepr(body), 'latin1')]);
}

/** CPython's `repr()` of a bytes object: b'…' (or b"…" when the bytes hold ' but no "), with its escapes. */
export function pythonBytesRepr(b: Buffer): string {
  const quote = b.includes(0x27) && !b.includes(0x22) ? '"' : "'";
  let out = 'b' + quote;
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c === quote.charCodeAt(0)) out += '\\' + quote;
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += String.fromCharCode(c);
  }
  return out + quote;
}

/** Signs a DSSE payload with the hash the key's curve calls for; returns the DER ECDSA signature. */
export const signPae = (type: string, body: Buffer, key: KeyObject): Buffer => sign(hashForKey(key), pae(type, body), key);

/** Verifies a DSSE signature over a payload; `legacy` checks the v0.2 PAE (SHA-256) instead. */
export function verifyPae(type: string, body: Buffer, sig: Buffer, key: KeyObject, legacy = false): boolean {
  try {
    return legacy ? verify('sha256', legacyPae(type, body), key, sig) : verify(hashForKey(key), pae(type, body), key, sig);
  } catch {
    return false; // a signature that is not DER, or not for this key type, simply does not verify
  }
}
