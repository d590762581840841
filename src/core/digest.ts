import { hash } from 'node:crypto';

/**
 * SHA-256 and HMAC-SHA-256 for hot paths (the audit log's leaves and nodes, keyed digests, API-key lookups, canary
 * buckets), through Node's one-shot `crypto.hash` instead of `createHash`/`createHmac` objects.
 *
 * Measured on Node 20 (`node bench/digest-gc.mjs`: 300,000 digests, collections included): a `createHash` chain costs
 * 2.0–3.0 µs per leaf hash and makes every young-generation collection pause 5–8 ms, because each Hash is a native
 * object the collector tracks through a weak handle, and each `digest()` Buffer has a backing store of its own; the
 * one-shot hash, its digest taken as a binary (latin1) string and copied into a pooled Buffer, costs 0.8–1.3 µs and the
 * pauses stay near 0.3 ms. The digest bytes are the same (tested against `createHash` and `createHmac`).
 */

/** SHA-256 of `data` as a 32-byte Buffer (a slice of Node's shared pool, like any small `Buffer.from`). */
export function sha256(data: Uint8Array | string): Buffer {
  return Buffer.from(hash('sha256', data, 'binary'), 'binary');
}

/** SHA-256 of the bytes of `parts`, in order, as a 32-byte Buffer (the parts are copied into one buffer first). */
export function sha256Of(...parts: Uint8Array[]): Buffer {
  let n = 0;
  for (const p of parts) n += p.length;
  const all = Buffer.allocUnsafe(n);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return sha256(all);
}

const BLOCK = 64;

interface Pads {
  inner: Buffer;
  outer: Buffer;
}

const padsBySecret = new WeakMap<Uint8Array, Pads>();

/** RFC 2104's padded keys for `secret` (hashed first when longer than a block), made once per secret object. */
function padsOf(secret: Uint8Array): Pads {
  let pads = padsBySecret.get(secret);
  if (pads === undefined) {
    const key = Buffer.alloc(BLOCK);
    key.set(secret.length > BLOCK ? sha256(secret) : secret);
    const inner = Buffer.alloc(BLOCK);
    const outer = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK; i++) {
      inner[i] = key[i]! ^ 0x36;
      outer[i] = key[i]! ^ 0x5c;
    }
    pads = { inner, outer };
    padsBySecret.set(secret, pads);
  }
  return pads;
}

/**
 * HMAC-SHA-256 (RFC 2104) of `text` (UTF-8) under `secret`, as lowercase hex: H(K ⊕ opad ‖ H(K ⊕ ipad ‖ text)).
 * The padded keys are derived once per secret object and kept beside it (a WeakMap), so pass the same Uint8Array
 * each time; a mutated secret object keeps its first pads.
 */
export function hmacSha256Hex(secret: Uint8Array, text: string): string {
  const { inner, outer } = padsOf(secret);
  const message = Buffer.from(text, 'utf8');
  const innerDigest = sha256Of(inner, message);
  return hash('sha256', Buffer.concat([outer, innerDigest], BLOCK + 32), 'hex');
}
