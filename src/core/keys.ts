import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreError } from './errors.js';

/** Where a home keeps its keys: the audit log's Ed25519 key pair and the secret for keyed digests. */
export const KEY_FILES = {
  dir: 'keys',
  logPrivate: 'log.ed25519',
  logPublic: 'log.pub',
  digestSecret: 'digest.secret',
} as const;

export interface HomeKeys {
  logPrivate: KeyObject;
  logPublic: KeyObject;
  /** 32 random bytes: the HMAC key for digests of prompts and other user data. */
  digestSecret: Buffer;
}

/**
 * Creates whatever keys a home lacks, private files mode 0600 in a 0700 folder. Existing keys are never
 * replaced: the log's signatures and digests depend on them. Returns the paths created.
 */
export function ensureHomeKeys(home: string): string[] {
  const dir = join(home, KEY_FILES.dir);
  const created: string[] = [];
  if (!existsSync(dir)) {
    mkdirSync(dir, { mode: 0o700 });
    created.push(dir);
  }
  const priv = join(dir, KEY_FILES.logPrivate);
  const pub = join(dir, KEY_FILES.logPublic);
  if (!existsSync(priv)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    created.push(priv, pub);
  } else if (!existsSync(pub)) {
    writeFileSync(pub, createPublicKey(createPrivateKey(readFileSync(priv))).export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    created.push(pub);
  }
  const secret = join(dir, KEY_FILES.digestSecret);
  if (!existsSync(secret)) {
    writeFileSync(secret, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    created.push(secret);
  }
  return created;
}

/** Loads a home's keys, refusing private key files that others can read. */
export function loadHomeKeys(home: string): HomeKeys {
  const dir = join(home, KEY_FILES.dir);
  const read = (name: string, secret: boolean): Buffer => {
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new CoreError('CORE_HOME_NOT_FOUND', `key file ${p} is missing; run palisade init to create the home's keys`);
    }
    if (secret && (st.mode & 0o077) !== 0) {
      throw new CoreError('CORE_HOME_UNSAFE', `key file ${p} is readable by other users; refusing to use it. Fix with: chmod 600 ${p}`);
    }
    return readFileSync(p);
  };
  const logPrivate = createPrivateKey(read(KEY_FILES.logPrivate, true));
  const secretHex = read(KEY_FILES.digestSecret, true).toString('utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(secretHex)) throw new CoreError('CORE_HOME_UNSAFE', `${join(dir, KEY_FILES.digestSecret)} is not 32 bytes of hex`);
  return { logPrivate, logPublic: createPublicKey(logPrivate), digestSecret: Buffer.from(secretHex, 'hex') };
}

/** Raw 32-byte Ed25519 public key (the last 32 bytes of its SPKI DER). */
export function rawEd25519(publicKey: KeyObject): Buffer {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return der.subarray(der.length - 32);
}

/** A short, stable identifier of a log key: hex of the first 4 bytes of SHA-256 of the raw public key. */
export function logKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(rawEd25519(publicKey)).digest('hex').slice(0, 8);
}
