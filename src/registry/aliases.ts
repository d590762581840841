import type { Kysely, Transaction } from 'kysely';
import { authorize, type Principal } from '../access/index.js';
import type { Database } from '../store/index.js';
import { emit, nowOf, type RegistryDeps } from './deps.js';
import { RegistryError } from './errors.js';
import { checkAlias, checkName } from './names.js';
import { getVersion } from './versions.js';

/** What an alias resolves to: the version and the endpoint that serves it. */
export interface Resolved {
  name: string;
  alias: string;
  version: string;
  rootDigest: string;
  endpoint?: string;
}

export interface AliasMove {
  alias: string;
  from?: string;
  to: string;
  actor: string;
  reason: string;
  kind: 'promote' | 'rollback' | 'set';
  at: string;
}

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The registry's change counter: it grows on every alias move and freeze. A gateway polls this one number
 * (an indexed max) and reloads its aliases only when it changed.
 */
export async function registryVersion(db: Db): Promise<number> {
  const a = await db.selectFrom('registry_alias_moves').select((eb) => eb.fn.max('seq').as('v')).executeTakeFirst();
  const m = await db.selectFrom('registry_models').select((eb) => eb.fn.max('seq').as('v')).executeTakeFirst();
  return Math.max(Number(a?.v ?? 0), Number(m?.v ?? 0));
}

/** Resolves `name@alias` (or `name@version`) to the version and its endpoint: what a gateway serves. */
export async function resolveAlias(deps: Pick<RegistryDeps, 'store'>, name: string, alias: string): Promise<Resolved> {
  const a = await deps.store.db.selectFrom('registry_aliases').select('version').where('name', '=', name).where('alias', '=', alias).executeTakeFirst();
  const v = await getVersion(deps, 'model', name, a?.version ?? alias).catch(() => undefined);
  if (v === undefined) throw new RegistryError('REGISTRY_VERSION_NOT_FOUND', `${name}@${alias} is neither an alias nor a registered version of model ${name}`);
  return { name, alias, version: v.version, rootDigest: v.rootDigest, ...(v.endpoint === undefined ? {} : { endpoint: v.endpoint }) };
}

/** Every alias of a model and where it points. */
export async function listAliases(deps: Pick<RegistryDeps, 'store'>, name: string): Promise<{ alias: string; version: string; updatedAt: string; updatedBy: string }[]> {
  const rows = await deps.store.db.selectFrom('registry_aliases').selectAll().where('name', '=', name).orderBy('alias').execute();
  return rows.map((r) => ({ alias: r.alias, version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by }));
}

/** The incident that froze the model, if any. */
export async function frozenBy(deps: Pick<RegistryDeps, 'store'>, name: string): Promise<string | undefined> {
  const r = await deps.store.db.selectFrom('registry_models').select('frozen_by').where('name', '=', name).executeTakeFirst();
  return r?.frozen_by ?? undefined;
}

/** The policy engine's view of an alias: protected or not, and whether its model is frozen. */
export async function aliasResource(deps: RegistryDeps, name: string, alias: string): Promise<{ type: 'Alias'; id: string; protected: boolean; frozen: boolean }> {
  return { type: 'Alias', id: `${name}@${alias}`, protected: deps.config.protectedAliases.includes(alias), frozen: (await frozenBy(deps, name)) !== undefined };
}

const isConflict = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
};

/**
 * Runs a change that takes the next counter value. Two writers on PostgreSQL can read the same max; the second
 * insert then hits the primary key, and the change is retried with a fresh value.
 */
export async function withNextSeq(deps: Pick<RegistryDeps, 'store'>, fn: (trx: Transaction<Database>, seq: number) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.store.db.transaction().execute(async (trx) => fn(trx, (await registryVersion(trx)) + 1));
      return;
    } catch (err) {
      if (!isConflict(err) || attempt >= 5) throw err;
    }
  }
}

/** Aliases moved after change counter `since` (what a gateway re-reads after `registryVersion` grew), with endpoints. */
export async function changedAliases(deps: Pick<RegistryDeps, 'store'>, since: number): Promise<(Resolved & { seq: number })[]> {
  const rows = await deps.store.db
    .selectFrom('registry_aliases as a')
    .innerJoin('registry_versions as v', (j) => j.onRef('v.name', '=', 'a.name').onRef('v.version', '=', 'a.version').on('v.kind', '=', 'model'))
    .select(['a.name', 'a.alias', 'a.version', 'a.seq', 'v.root_digest', 'v.endpoint'])
    .where('a.seq', '>', since)
    .orderBy('a.seq')
    .execute();
  return rows.map((r) => ({ name: r.name, alias: r.alias, version: r.version, rootDigest: r.root_digest, ...(r.endpoint === null ? {} : { endpoint: r.endpoint }), seq: Number(r.seq) }));
}

/** Moves an alias in one transaction: the pointer, the move's history row, and the change counter. */
export async function moveAlias(deps: RegistryDeps, m: { name: string; alias: string; to: string; actor: string; reason: string; kind: AliasMove['kind'] }): Promise<AliasMove> {
  const at = nowOf(deps).toISOString();
  let from: string | undefined;
  await withNextSeq(deps, async (trx, seq) => {
    const cur = await trx.selectFrom('registry_aliases').select('version').where('name', '=', m.name).where('alias', '=', m.alias).executeTakeFirst();
    from = cur?.version;
    if (cur === undefined) await trx.insertInto('registry_aliases').values({ name: m.name, alias: m.alias, version: m.to, updated_at: at, updated_by: m.actor, seq }).execute();
    else await trx.updateTable('registry_aliases').set({ version: m.to, updated_at: at, updated_by: m.actor, seq }).where('name', '=', m.name).where('alias', '=', m.alias).execute();
    await trx.insertInto('registry_alias_moves').values({ seq, name: m.name, alias: m.alias, from_version: from ?? null, to_version: m.to, actor: m.actor, reason: m.reason, kind: m.kind, at }).execute();
  });
  return { alias: m.alias, ...(from === undefined ? {} : { from }), to: m.to, actor: m.actor, reason: m.reason, kind: m.kind, at };
}

/** Moves of one alias, oldest first. */
export async function aliasMoves(deps: Pick<RegistryDeps, 'store'>, name: string, alias?: string): Promise<AliasMove[]> {
  let q = deps.store.db.selectFrom('registry_alias_moves').selectAll().where('name', '=', name);
  if (alias !== undefined) q = q.where('alias', '=', alias);
  const rows = await q.orderBy('seq').execute();
  return rows.map((r) => ({ alias: r.alias, ...(r.from_version === null ? {} : { from: r.from_version }), to: r.to_version, actor: r.actor, reason: r.reason, kind: r.kind as AliasMove['kind'], at: r.at }));
}

/**
 * The last known good version of an alias: the newest version it pointed to before, other than the current one,
 * never rolled back from, and not rejected.
 */
export async function lastKnownGood(deps: RegistryDeps, name: string, alias: string): Promise<{ current?: string; target?: string }> {
  const moves = await aliasMoves(deps, name, alias);
  const current = moves.at(-1)?.to;
  const bad = new Set(moves.filter((m) => m.kind === 'rollback' && m.from !== undefined).map((m) => m.from!));
  const rejected = new Set((await deps.store.db.selectFrom('registry_versions').select('version').where('kind', '=', 'model').where('name', '=', name).where('state', '=', 'rejected').execute()).map((r) => r.version));
  for (let i = moves.length - 1; i >= 0; i--) {
    const v = moves[i]!.to;
    if (v !== current && !bad.has(v) && !rejected.has(v)) return { ...(current === undefined ? {} : { current }), target: v };
  }
  return current === undefined ? {} : { current };
}

/**
 * Moves an alias back to its last known good version. Allowed on a frozen model (it is what an incident does);
 * `incident` names the incident that asked for it.
 */
export async function rollback(deps: RegistryDeps, by: Principal, name: string, alias = 'production', reason = 'rollback', incident?: string): Promise<AliasMove> {
  checkName(name);
  checkAlias(alias);
  authorize(by, 'rollback', await aliasResource(deps, name, alias));
  const { current, target } = await lastKnownGood(deps, name, alias);
  if (target === undefined) throw new RegistryError('REGISTRY_ROLLBACK_IMPOSSIBLE', current === undefined ? `${name}@${alias} has never been set: nothing to roll back` : `${name}@${alias} has no earlier good version than ${current} to go back to`);
  const move = await moveAlias(deps, { name, alias, to: target, actor: by.id, reason, kind: 'rollback' });
  await emit(deps, { type: 'model.rolled_back', actor: by.id, subject: `model:${name}`, data: { alias, from: current ?? null, to: target, reason, ...(incident === undefined ? {} : { incident }) } });
  return move;
}

/** Points a non-protected alias at a version by hand (no gates); protected aliases are refused by policy. */
export async function setAlias(deps: RegistryDeps, by: Principal, name: string, version: string, alias: string, reason: string): Promise<AliasMove> {
  checkAlias(alias);
  authorize(by, 'setAlias', await aliasResource(deps, name, alias));
  const v = await getVersion(deps, 'model', name, version);
  if (v.state === 'rejected') throw new RegistryError('REGISTRY_PROMOTION_BLOCKED', `${name}@${version} was rejected; a rejected version never gets an alias`);
  const move = await moveAlias(deps, { name, alias, to: version, actor: by.id, reason, kind: 'set' });
  await emit(deps, { type: 'model.alias_set', actor: by.id, subject: `model:${name}`, data: { alias, from: move.from ?? null, to: version, reason } });
  return move;
}
