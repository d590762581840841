import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { AccessError, authenticate, authorize, type Action, type Principal, type Resource } from '../access/index.js';
import { AuditLog, logKey, originOf, type AuditLogOptions, type LogKey } from '../audit/index.js';
import type { Config } from '../core/config-schema.js';
import { CoreError } from '../core/errors.js';
import { discardNextLogKey, loadHomeKeys, promoteNextLogKey, type HomeKeys } from '../core/keys.js';
import { openStore, type Store } from '../store/index.js';
import type { Env } from './env.js';
import type { Io } from './io.js';
import { resolveConfig, type ResolvedConfig } from './resolve-config.js';

/** What commands that touch the home need: its config, store, log key and audit log. */
export interface Runtime {
  home: string;
  config: Config;
  keys: HomeKeys;
  store: Store;
  key: LogKey;
  log: AuditLog;
  /** Who is acting: the user whose PALISADE_TOKEN was given, else (local home, registry.localAdmin) the OS user as admin. */
  principal: Principal;
  /** `principal.id`: the audit log's actor. */
  actor: string;
  /** Throws ACCESS_DENIED unless the policies let the principal do this. */
  authorize(action: Action, resource: Resource): void;
  close(): Promise<void>;
}

/**
 * Builds the runtime once, for the CLI and for `palisade serve` (`flags.server`). Needs a home: the log's key lives there.
 * The store is `--store`, else the config's `store.url`, else `<home>/palisade.db`.
 */
export async function createRuntime(io: Io, env: Env, flags: { config?: string; store?: string; server?: boolean }, resolved?: ResolvedConfig, audit: AuditLogOptions = {}): Promise<Runtime> {
  const { config, home } = resolved ?? resolveConfig(io.cwd, env, flags.config);
  if (home === undefined) throw new CoreError('CORE_HOME_NOT_FOUND', 'no Palisade home here or above: run palisade init (or set PALISADE_HOME)');
  const keys = loadHomeKeys(home);
  const store = await openHomeStore(io, config, home, flags.store);
  const key = await bindLogKey(store, home, keys);
  const log = new AuditLog(store, key, undefined, audit);
  let principal: Principal;
  try {
    // A server acts for each request's user, never for a token in its own environment; what it records on its own
    // (a demo key, a canary rollback) names the OS user running it, with no role to act on the control plane.
    principal = flags.server === true ? { id: `os:${userInfo().username}`, role: 'viewer' } : await principalOf(store, env, config);
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    home,
    config,
    keys,
    store,
    key,
    log,
    principal,
    actor: principal.id,
    authorize: (action, resource) => authorize(principal, action, resource),
    close: async () => {
      await log.flush();
      await store.close();
    },
  };
}

/** The home's store: `--store`, else the config's `store.url`, else `<home>/palisade.db`. */
export function openHomeStore(io: Io, config: Config, home: string, flag: string | undefined): Promise<Store> {
  const url = flag ?? config.store.url ?? join(home, 'palisade.db');
  return openStore({ url: /^[a-z]+:\/\//.test(url) ? url : resolve(io.cwd, url) });
}

/**
 * Who the CLI acts as. With PALISADE_TOKEN: that user (an unknown token is refused). Without one, on a local home
 * whose config keeps `registry.localAdmin: true` (the default): the OS user, as an admin — a local home is no
 * security boundary (whoever can write its database can do anything), so roles there guide the workflow. With
 * `localAdmin: false` a token is required.
 */
async function principalOf(store: Store, env: Env, config: Config): Promise<Principal> {
  if (env.token !== undefined) return authenticate(store, env.token);
  if (config.registry.localAdmin) return { id: `os:${userInfo().username}`, role: 'admin' };
  throw new AccessError('ACCESS_TOKEN_INVALID', 'this home requires a user token (registry.localAdmin is false): set PALISADE_TOKEN to your token from palisade users create');
}

/**
 * The home's log key, bound to the log's stored origin (fixed by its first key). Finishes a key rotation that
 * stopped after the log announced the staged key, and drops a staged key the log never announced.
 */
export async function bindLogKey(store: Store, home: string, keys: HomeKeys): Promise<LogKey> {
  const state = await store.db.selectFrom('audit_state').select(['origin', 'active_key']).where('id', '=', 1).executeTakeFirstOrThrow();
  const origin = state.origin ?? originOf(keys.logPublic);
  if (keys.logNext !== undefined) {
    const next = logKey(keys.logNext, createPublicKey(keys.logNext), origin);
    if (state.active_key === next.vkey) {
      promoteNextLogKey(home);
      return next;
    }
    discardNextLogKey(home);
  }
  return logKey(keys.logPrivate, keys.logPublic, origin);
}

/** The log's first key among the home's public keys (current and retired): where verification starts. */
export function firstLogKey(keys: HomeKeys, origin: string): KeyObject | undefined {
  return [keys.logPublic, ...keys.retiredPublic].find((k) => originOf(k) === origin);
}

/** Flags every command that opens the home's store takes. */
export interface StoreFlags {
  json?: boolean;
  config?: string;
  store?: string;
}

/** Runs `fn` with a runtime and always closes it (flushing the audit log). */
export async function withRuntime<T>(io: Io, env: Env, flags: StoreFlags, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await createRuntime(io, env, flags);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** A whole-number flag: `min` 0 for indices, 1 for counts and limits. */
export function intFlag(v: string | undefined, flag: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) throw new CoreError('CORE_USAGE', `${flag} must be a ${min > 0 ? 'positive ' : ''}whole number, not '${v}'`);
  return Number(v);
}
