import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../core/digest.js';
import type { Store } from '../store/index.js';
import { GatewayError } from './errors.js';

/** What the gateway knows of a key: never the key itself, only its SHA-256. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  models: string[];
  rpm?: number;
  tpm?: number;
  expiresAt?: string;
  revokedAt?: string;
  createdAt: string;
  createdBy: string;
}

export interface NewApiKey {
  name: string;
  models: string[];
  rpm?: number;
  tpm?: number;
  /** RFC 3339 or a date; the key stops working at that instant. */
  expiresAt?: Date;
  createdBy: string;
}

/** `pk_` and 256 random bits in base64url (43 characters). */
const KEY_FORMAT = /^pk_[A-Za-z0-9_-]{43}$/;
const NAME_FORMAT = /^[\w .@:-]{1,128}$/;

/**
 * Creates a key and returns it once, with its record. Only the key's SHA-256 is stored: a 256-bit random key
 * needs no slow hash, and a lookup by digest reveals nothing about other keys.
 */
export async function createApiKey(store: Store, spec: NewApiKey, now: Date = new Date()): Promise<{ key: string; record: ApiKeyRecord }> {
  if (!NAME_FORMAT.test(spec.name)) throw new GatewayError('GATEWAY_APIKEY_INVALID', `key name '${spec.name}' must be 1–128 letters, digits, spaces or . _ @ : -`);
  if (spec.models.length === 0 || spec.models.some((m) => m.length === 0)) throw new GatewayError('GATEWAY_APIKEY_INVALID', 'a key needs at least one model it may call (--models chat,embed)');
  for (const [what, v] of [['rpm', spec.rpm], ['tpm', spec.tpm]] as const) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new GatewayError('GATEWAY_APIKEY_INVALID', `--${what} must be a positive whole number`);
  }
  if (spec.expiresAt !== undefined && (Number.isNaN(spec.expiresAt.getTime()) || spec.expiresAt <= now)) {
    throw new GatewayError('GATEWAY_APIKEY_INVALID', '--expires must be a date in the future, e.g. 2027-01-31 or 2027-01-31T12:00:00Z');
  }
  const key = `pk_${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = {
    id: randomBytes(6).toString('hex'),
    name: spec.name,
    models: [...new Set(spec.models)],
    ...(spec.rpm === undefined ? {} : { rpm: spec.rpm }),
    ...(spec.tpm === undefined ? {} : { tpm: spec.tpm }),
    ...(spec.expiresAt === undefined ? {} : { expiresAt: spec.expiresAt.toISOString() }),
    createdAt: now.toISOString(),
    createdBy: spec.createdBy,
  };
  await store.db.transaction().execute(async (trx) => {
    const v = await trx.selectFrom('api_keys').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
    await trx
      .insertInto('api_keys')
      .values({
        id: record.id,
        name: record.name,
        key_hash: sha256(key).toString('hex'),
        models: JSON.stringify(record.models),
        rpm: record.rpm ?? null,
        tpm: record.tpm ?? null,
        expires_at: record.expiresAt ?? null,
        revoked_at: null,
        created_at: record.createdAt,
        created_by: record.createdBy,
        version: Number(v?.v ?? 0) + 1,
      })
      .execute();
  });
  return { key, record };
}

type Row = Awaited<ReturnType<typeof selectKeys>>[number];
const selectKeys = (store: Store, afterVersion = -1) =>
  store.db.selectFrom('api_keys').selectAll().where('version', '>', afterVersion).orderBy('version').execute();

function toRecord(r: Row): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    models: JSON.parse(r.models) as string[],
    ...(r.rpm === null ? {} : { rpm: r.rpm }),
    ...(r.tpm === null ? {} : { tpm: r.tpm }),
    ...(r.expires_at === null ? {} : { expiresAt: r.expires_at }),
    ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

export async function listApiKeys(store: Store): Promise<ApiKeyRecord[]> {
  return (await selectKeys(store)).map(toRecord).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Revokes a key by id; gateways drop it at their next refresh (about a second). Revoking twice is harmless. */
export async function revokeApiKey(store: Store, id: string, now: Date = new Date()): Promise<ApiKeyRecord> {
  return store.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new GatewayError('GATEWAY_APIKEY_NOT_FOUND', `no API key has id '${id}'; palisade apikeys list shows them`);
    if (row.revoked_at !== null) return toRecord(row);
    const v = await trx.selectFrom('api_keys').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
    const revokedAt = now.toISOString();
    await trx.updateTable('api_keys').set({ revoked_at: revokedAt, version: Number(v?.v ?? 0) + 1 }).where('id', '=', id).execute();
    return toRecord({ ...row, revoked_at: revokedAt });
  });
}

export type AuthResult = { ok: true; key: ApiKeyRecord } | { ok: false; reason: 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired' };

/**
 * The gateway's in-memory view of the keys, so authentication costs one SHA-256 and one map lookup. `refresh()` reads
 * only rows changed since the last refresh (by version), so many instances can poll one store cheaply.
 */
export class ApiKeyIndex {
  private byHash = new Map<string, { hash: Buffer; record: ApiKeyRecord }>();
  private version = -1;

  constructor(private readonly store: Store) {}

  async refresh(): Promise<void> {
    for (const r of await selectKeys(this.store, this.version)) {
      this.byHash.set(r.key_hash, { hash: Buffer.from(r.key_hash, 'hex'), record: toRecord(r) });
      this.version = Math.max(this.version, Number(r.version));
    }
  }

  /** Checks a presented key (the bearer token). The stored digest is compared in constant time. */
  authenticate(presented: string | undefined, now: number = Date.now()): AuthResult {
    if (presented === undefined || presented === '') return { ok: false, reason: 'missing' };
    if (!KEY_FORMAT.test(presented)) return { ok: false, reason: 'malformed' };
    const digest = sha256(presented);
    const found = this.byHash.get(digest.toString('hex'));
    if (found === undefined || !timingSafeEqual(found.hash, digest)) return { ok: false, reason: 'unknown' };
    if (found.record.revokedAt !== undefined) return { ok: false, reason: 'revoked' };
    if (found.record.expiresAt !== undefined && Date.parse(found.record.expiresAt) <= now) return { ok: false, reason: 'expired' };
    return { ok: true, key: found.record };
  }
}
