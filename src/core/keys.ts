import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreError } from './errors.js';

/** Where a home keeps its keys: the audit log's Ed25519 key pair and the secret for keyed digests. */
export const KEY_FILES = {
  dir: 'keys',
  logPrivate: 'log.ed25519',
  logPublic: 'log.pub',
  /** The successor key during a rotation, before the log has announced it. */
  logNext: 'log.next.ed25519',
  digestSecret: 'digest.secret',
} as const;

/** A retired log key's public half is kept as `log-<key id>.pub`: verifiers start from the log's first key. */
const RETIRED_PUB = /^log-([0-9a-f]{8})\.pub$/;

export interface HomeKeys {
  logPrivate: KeyObject;
  logPublic: KeyObject;
  /** 32 random bytes: the HMAC key for digests of prompts and other user data. */
  digestSecret: Buffer;
  /** A staged successor key (a rotation in progress or interrupted), if any. */
  logNext?: KeyObject;
  /** Public halves of retired log keys, oldest first by file name. */
  retiredPublic: KeyObject[];
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
  const logNext = existsSync(join(dir, KEY_FILES.logNext)) ? createPrivateKey(read(KEY_FILES.logNext, true)) : undefined;
  const retiredPublic = readdirSync(dir)
    .filter((f) => RETIRED_PUB.test(f))
    .sort()
    .map((f) => createPublicKey(readFileSync(join(dir, f))));
  return { logPrivate, logPublic: createPublicKey(logPrivate), digestSecret: Buffer.from(secretHex, 'hex'), ...(logNext === undefined ? {} : { logNext }), retiredPublic };
}

/**
 * First step of a key rotation: a fresh Ed25519 key written beside the current one as `log.next.ed25519` (0600).
 * The log announces it next; {@link promoteNextLogKey} then makes it the home's key. A stale staged key is replaced.
 */
export function stageNextLogKey(home: string): KeyObject {
  const { privateKey } = generateKeyPairSync('ed25519');
  const path = join(home, KEY_FILES.dir, KEY_FILES.logNext);
  rmSync(path, { force: true });
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  return privateKey;
}

/**
 * Last step of a key rotation, once the log has announced the staged key: the current public key is kept as
 * `log-<id>.pub`, the staged key replaces `log.ed25519` (the retired private key is gone), and `log.pub` is rewritten.
 * Each step is a rename, so an interrupted promotion is finished by running it again.
 */
export function promoteNextLogKey(home: string): void {
  const dir = join(home, KEY_FILES.dir);
  const publicOf = (): KeyObject => createPublicKey(createPrivateKey(readFileSync(join(dir, KEY_FILES.logPrivate))));
  if (existsSync(join(dir, KEY_FILES.logNext))) {
    const current = publicOf();
    writeFileSync(join(dir, `log-${logKeyId(current)}.pub`), current.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    renameSync(join(dir, KEY_FILES.logNext), join(dir, KEY_FILES.logPrivate));
  }
  writeFileSync(join(dir, KEY_FILES.logPublic), publicOf().export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
}

/** Drops a staged key that the log never announced (a rotation that stopped before its entry was committed). */
export function discardNextLogKey(home: string): void {
  rmSync(join(home, KEY_FILES.dir, KEY_FILES.logNext), { force: true });
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
