import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { NoteError } from './note-errors.js';

/**
 * Signed-note keys (https://c2sp.org/signed-note): names, key IDs, and the Go `golang.org/x/mod/sumdb/note` string
 * encodings of Ed25519 verifier and signer keys, so keys interoperate with Go sumdb, Sigstore and witness tooling.
 * Note signing and opening are in note.ts.
 */

/** A structural verifier: Ed25519 from {@link createVerifier}, or an injected one (ECDSA, cosignature, HSM). */
export interface NoteVerifier {
  readonly name: string;
  /** uint32 key ID, as carried in the first four bytes of the signature. */
  readonly keyId: number;
  /** Whether `signature` (key ID already stripped) signs `message`. Throwing counts as "does not verify". */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A structural signer; {@link createSigner} builds the Ed25519 one. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(message: Uint8Array): Uint8Array;
}

/** An Ed25519 signer that also knows its public verifier key string (safe to publish). */
export interface Ed25519Signer extends NoteSigner {
  readonly verifierKey: string;
}

export interface VerifierKey {
  name: string;
  keyId: number;
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

export interface SignerKey extends VerifierKey {
  /** 32-byte Ed25519 private seed (RFC 8032 §5.1.5). Secret. */
  seed: Uint8Array;
}

/** signed-note §Signature types: 0x01 is Ed25519. */
const ALG_ED25519 = 0x01;
const ED25519_KEY_BYTES = 32;
const ED25519_SIG_BYTES = 64;
/** Longer than any well-formed key string; checked before splitting so a hostile config value costs nothing. */
const MAX_KEY_STRING = 4096;
const SKEY_PREFIX = 'PRIVATE+KEY+';
/** RFC 8410 §4 SubjectPublicKeyInfo and §7 OneAsymmetricKey DER prefixes for id-Ed25519 (1.3.101.112). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

// In /u mode a surrogate pair is one code point, so these ranges match only unpaired surrogates.
export const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// signed-note §Format: names are non-empty with no Unicode spaces (Go's unicode.IsSpace is exactly White_Space) and no
// '+'. Control characters are refused too: Go accepts them in names, but a note carrying one cannot be opened.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NAME_FORBIDDEN = /[\p{White_Space}+\x00-\x1f]/u;
const KEY_ID_HEX = /^[0-9a-f]{8}$/;

/** Whether `name` is a valid key name (signed-note §Format). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !NAME_FORBIDDEN.test(name) && !LONE_SURROGATE.test(name);
}

/**
 * Strict standard base64 (RFC 4648 §4): canonical padding and zero pad bits, so one byte string has exactly one
 * accepted spelling. Node's decoder alone skips junk and accepts base64url; re-encoding and comparing closes that.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Ed25519 key ID (signed-note §Ed25519 signatures): SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], big-endian. */
export function keyId(name: string, publicKey: Uint8Array): number {
  checkName(name);
  checkKeyLength(publicKey, 'public key');
  return keyHash(name, typed(publicKey));
}

/** The 8-digit lowercase hex spelling of a key ID used in key strings. */
export function formatKeyId(id: number): string {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', `key ID ${id} is not a uint32`);
  return id.toString(16).padStart(8, '0');
}

/** `<name>+<hex key ID>+base64(0x01 ‖ public key)`. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  const id = keyId(name, publicKey);
  return `${name}+${formatKeyId(id)}+${Buffer.from(typed(publicKey)).toString('base64')}`;
}

/** `PRIVATE+KEY+<name>+<hex key ID>+base64(0x01 ‖ seed)`; the key ID is that of the derived public key. */
export function formatSignerKey(name: string, seed: Uint8Array): string {
  checkKeyLength(seed, 'seed');
  const id = keyId(name, rawPublicKey(privateKeyObject(seed)));
  return `${SKEY_PREFIX}${name}+${formatKeyId(id)}+${Buffer.from(typed(seed)).toString('base64')}`;
}

/** Parses a verifier key string, checking its key ID (checks in Go's order, so the vectors hit the same errors). */
export function parseVerifierKey(vkey: string): VerifierKey {
  const [name, idHex, key] = splitKey(vkey, 'verifier key');
  if (keyHash(name, key) !== Number.parseInt(idHex, 16)) throw new NoteError('AUDIT_NOTE_KEY_ID_MISMATCH', `verifier key for ${name}: key ID does not match the key`);
  if (key[0] !== ALG_ED25519) throw new NoteError('AUDIT_NOTE_KEY_ALGORITHM', `verifier key for ${name}: unknown algorithm byte 0x${hex2(key[0]!)}`);
  if (key.length !== 1 + ED25519_KEY_BYTES) throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', `verifier key for ${name}: Ed25519 key is ${key.length - 1} bytes, want 32`);
  const publicKey = key.subarray(1);
  publicKeyObject(publicKey); // refuse bytes OpenSSL cannot import now, not at first use
  return { name, keyId: Number.parseInt(idHex, 16), publicKey };
}

/** Parses a signer key string. Error messages never echo the key: it is a secret. */
export function parseSignerKey(skey: string): SignerKey {
  if (typeof skey !== 'string' || !skey.startsWith(SKEY_PREFIX)) throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', 'signer key does not start with PRIVATE+KEY+');
  const [name, idHex, key] = splitKey(skey.slice(SKEY_PREFIX.length), 'signer key');
  if (key[0] !== ALG_ED25519) throw new NoteError('AUDIT_NOTE_KEY_ALGORITHM', `signer key for ${name}: unknown algorithm byte 0x${hex2(key[0]!)}`);
  if (key.length !== 1 + ED25519_KEY_BYTES) throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', `signer key for ${name}: Ed25519 seed is ${key.length - 1} bytes, want 32`);
  const seed = key.subarray(1);
  const publicKey = rawPublicKey(privateKeyObject(seed));
  // The ID names the public key, so it can only be checked after deriving that key from the seed.
  if (keyHash(name, typed(publicKey)) !== Number.parseInt(idHex, 16)) throw new NoteError('AUDIT_NOTE_KEY_ID_MISMATCH', `signer key for ${name}: key ID does not match the key`);
  return { name, keyId: Number.parseInt(idHex, 16), publicKey, seed };
}

/** An Ed25519 verifier for a verifier key string. Build it once: it holds the imported key. */
export function createVerifier(vkey: string): NoteVerifier {
  const { name, keyId: id, publicKey } = parseVerifierKey(vkey);
  const key = publicKeyObject(publicKey);
  return Object.freeze({
    name,
    keyId: id,
    verify: (message: Uint8Array, signature: Uint8Array): boolean => signature.length === ED25519_SIG_BYTES && cryptoVerify(null, message, key, signature),
  });
}

/** An Ed25519 signer for a signer key string. The seed stays inside a KeyObject; nothing exposes it. */
export function createSigner(skey: string): Ed25519Signer {
  const { name, keyId: id, publicKey, seed } = parseSignerKey(skey);
  const key = privateKeyObject(seed);
  seed.fill(0);
  return Object.freeze({
    name,
    keyId: id,
    verifierKey: formatVerifierKey(name, publicKey),
    sign: (message: Uint8Array): Uint8Array => cryptoSign(null, message, key),
  });
}

/** A fresh Ed25519 key pair as `{ skey, vkey }` strings (Go's note.GenerateKey). */
export function generateSignerKey(name: string): { skey: string; vkey: string } {
  checkName(name);
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  const skey = formatSignerKey(name, seed);
  const vkey = formatVerifierKey(name, rawPublicKey(privateKey));
  seed.fill(0);
  return { skey, vkey };
}

/** Splits `name+hexid+base64` (the name cannot contain '+'; base64 can, so only the first two are separators). */
function splitKey(s: string, what: string): [string, string, Uint8Array] {
  if (typeof s !== 'string' || s.length > MAX_KEY_STRING) throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', `${what} is not a string of at most ${MAX_KEY_STRING} characters`);
  const a = s.indexOf('+');
  const b = a < 0 ? -1 : s.indexOf('+', a + 1);
  if (b < 0) throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', `${what} needs the form <name>+<key ID>+<key>`);
  const name = s.slice(0, a);
  if (!isValidKeyName(name)) throw new NoteError('AUDIT_NOTE_NAME_INVALID', `${what}: key name is empty or contains a space, '+' or control character`);
  const idHex = s.slice(a + 1, b);
  if (!KEY_ID_HEX.test(idHex)) throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', `${what} for ${name}: key ID must be 8 lowercase hex digits`);
  const key = decodeBase64(s.slice(b + 1));
  if (key === undefined || key.length === 0) throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', `${what} for ${name}: key is not canonical base64`);
  return [name, idHex, key];
}

export function checkName(name: string): void {
  if (typeof name !== 'string' || !isValidKeyName(name)) throw new NoteError('AUDIT_NOTE_NAME_INVALID', `key name ${typeof name === 'string' ? JSON.stringify(shown(name)) : typeof name} is empty or contains a space, '+' or control character`);
}

function checkKeyLength(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== ED25519_KEY_BYTES) throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', `Ed25519 ${what} must be 32 bytes`);
}

function keyHash(name: string, typedKey: Uint8Array): number {
  return createHash('sha256').update(name, 'utf8').update('\n').update(typedKey).digest().readUInt32BE(0);
}

function typed(publicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + publicKey.length);
  out[0] = ALG_ED25519;
  out.set(publicKey, 1);
  return out;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', 'Ed25519 public key cannot be imported', { cause });
  }
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_PREFIX, seed]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new NoteError('AUDIT_NOTE_KEY_MALFORMED', 'Ed25519 seed cannot be imported', { cause });
  } finally {
    der.fill(0);
  }
}

function rawPublicKey(privateKey: KeyObject): Uint8Array {
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

/** Names in messages come from hostile input; keep them short. They never contain control characters. */
export function shown(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}…` : name;
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
