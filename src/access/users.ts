import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/index.js';
import { AccessError } from './errors.js';

/** The roles, least privileged first. A user has exactly one. */
export const ROLES = ['viewer', 'ml-engineer', 'security-reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is acting: an authenticated user (`user:NAME`) or, on a local home without a token, the OS user. */
export interface Principal {
  /** The audit-log actor and the policy engine's principal id: `user:NAME` or `os:NAME`. */
  id: string;
  role: Role;
}

export interface UserRecord {
  name: string;
  role: Role;
  kind: 'user' | 'service';
  createdAt: string;
  createdBy: string;
  disabledAt?: string;
}

/** `pu_` and 256 random bits in base64url (43 characters). */
const TOKEN_FORMAT = /^pu_[A-Za-z0-9_-]{43}$/;
const NAME_FORMAT = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const sha256 = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
export const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/**
 * Creates a user or service account and returns its token once. Only the token's SHA-256 is stored: a 256-bit
 * random token needs no slow hash, and a lookup by digest reveals nothing about other tokens.
 */
export async function createUser(store: Store, spec: { name: string; role: string; kind?: 'user' | 'service'; createdBy: string }, now: Date = new Date()): Promise<{ token: string; user: UserRecord }> {
  if (!NAME_FORMAT.test(spec.name)) throw new AccessError('ACCESS_USER_INVALID', `user name '${spec.name}' must be 1–64 lowercase letters, digits or . _ - (starting with a letter or digit)`);
  if (!isRole(spec.role)) throw new AccessError('ACCESS_USER_INVALID', `role '${spec.role}' is not one of ${ROLES.join(', ')}`);
  const existing = await store.db.selectFrom('users').select('name').where('name', '=', spec.name).executeTakeFirst();
  if (existing !== undefined) throw new AccessError('ACCESS_USER_INVALID', `user '${spec.name}' exists; choose another name or disable it first`);
  const token = `pu_${randomBytes(32).toString('base64url')}`;
  const user: UserRecord = { name: spec.name, role: spec.role, kind: spec.kind ?? 'user', createdAt: now.toISOString(), createdBy: spec.createdBy };
  await store.db.insertInto('users').values({ name: user.name, role: user.role, kind: user.kind, token_hash: sha256(token), created_at: user.createdAt, created_by: user.createdBy, disabled_at: null }).execute();
  return { token, user };
}

type Row = { name: string; role: string; kind: 'user' | 'service'; created_at: string; created_by: string; disabled_at: string | null };
const record = (r: Row): UserRecord => ({ name: r.name, role: r.role as Role, kind: r.kind, createdAt: r.created_at, createdBy: r.created_by, ...(r.disabled_at === null ? {} : { disabledAt: r.disabled_at }) });

export async function listUsers(store: Store): Promise<UserRecord[]> {
  const rows = await store.db.selectFrom('users').select(['name', 'role', 'kind', 'created_at', 'created_by', 'disabled_at']).orderBy('created_at').orderBy('name').execute();
  return rows.map(record);
}

/** Disables a user: its token stops working at once. Never deleted, so audit entries keep naming someone. */
export async function disableUser(store: Store, name: string, now: Date = new Date()): Promise<UserRecord> {
  const r = await store.db.updateTable('users').set({ disabled_at: now.toISOString() }).where('name', '=', name).where('disabled_at', 'is', null).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new AccessError('ACCESS_USER_NOT_FOUND', `no active user is named '${name}' (palisade users list)`);
  return (await listUsers(store)).find((u) => u.name === name)!;
}

/** Whether the store has any user yet (`palisade init` creates the first admin only then). */
export async function hasUsers(store: Store): Promise<boolean> {
  return (await store.db.selectFrom('users').select('name').limit(1).executeTakeFirst()) !== undefined;
}

/** The principal a token belongs to; a malformed, unknown or disabled token is refused the same way. */
export async function authenticate(store: Store, token: string): Promise<Principal> {
  const refused = new AccessError('ACCESS_TOKEN_INVALID', 'PALISADE_TOKEN is not a valid token of an active user: ask an admin for one (palisade users create)');
  if (!TOKEN_FORMAT.test(token)) throw refused;
  // Looked up by digest: the database compares digests of a 256-bit secret, so its timing reveals nothing useful.
  const row = await store.db.selectFrom('users').select(['name', 'role', 'disabled_at']).where('token_hash', '=', sha256(token)).executeTakeFirst();
  if (row === undefined || row.disabled_at !== null || !isRole(row.role)) throw refused;
  return { id: `user:${row.name}`, role: row.role };
}
