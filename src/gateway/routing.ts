import type { GatewayModelConfig, RegistryModelConfig } from '../core/config-schema.js';
import { sha256 } from '../core/digest.js';
// Straight from aliases.ts, not the registry's index: that index loads incidents.ts, which imports the gateway's.
import { changedAliases } from '../registry/aliases.js';
import type { Store } from '../store/index.js';
import type { Upstream } from './upstream.js';

/** The side of a canary split that serves a request. */
export type Route = 'primary' | 'canary';

/**
 * Which API keys go to the canary: hash(key id, model) mod 100 < weight, so one key stays on one side for a model
 * while the weight holds (a user does not flip between versions mid-conversation).
 */
export function canaryBucket(keyId: string, model: string): number {
  return sha256(`${keyId}\0${model}`).readUInt32BE(0) % 100;
}

export interface RollbackBounds {
  maxErrorRate: number;
  minRequests: number;
  maxLatencyMs?: number;
  maxGuardBlockRate?: number;
  windowSeconds: number;
}

interface Sample {
  at: number;
  failed: boolean;
  latencyMs: number;
  blocked: boolean;
}

/** Sliding-window outcome statistics of one model's canary, judged against its rollback bounds. */
export class CanaryWindow {
  private samples: Sample[] = [];

  constructor(private readonly bounds: RollbackBounds) {}

  add(s: Sample): void {
    this.samples.push(s);
    const from = s.at - this.bounds.windowSeconds * 1000;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.at < from) drop++;
    if (drop > 0) this.samples = this.samples.slice(drop);
  }

  /** Why the canary must be rolled back, or undefined while it is within bounds (or has too few requests to judge). */
  breach(): string | undefined {
    const n = this.samples.length;
    if (n < this.bounds.minRequests) return undefined;
    const failed = this.samples.filter((s) => s.failed).length / n;
    if (failed > this.bounds.maxErrorRate) return `error rate ${(failed * 100).toFixed(1)}% over ${n} requests exceeds ${(this.bounds.maxErrorRate * 100).toFixed(1)}%`;
    if (this.bounds.maxLatencyMs !== undefined) {
      const sorted = this.samples.map((s) => s.latencyMs).sort((a, b) => a - b);
      const p95 = sorted[Math.min(n - 1, Math.floor(0.95 * n))]!;
      if (p95 > this.bounds.maxLatencyMs) return `p95 latency ${p95.toFixed(0)} ms over ${n} requests exceeds ${this.bounds.maxLatencyMs} ms`;
    }
    if (this.bounds.maxGuardBlockRate !== undefined) {
      const blocked = this.samples.filter((s) => s.blocked).length / n;
      if (blocked > this.bounds.maxGuardBlockRate) return `guard-block rate ${(blocked * 100).toFixed(1)}% over ${n} requests exceeds ${(this.bounds.maxGuardBlockRate * 100).toFixed(1)}%`;
    }
    return undefined;
  }
}

/** One side of a model's route: where requests go, and (registry-linked models) the version served there. */
export interface RouteSide {
  upstream: Upstream;
  model?: string;
  /** `name@version` of a registry-linked model; recorded with each request it serves. */
  version?: string;
}

/** How the gateway serves one of its models. */
export interface ModelRoute {
  name: string;
  retries: number;
  fallback?: string;
  /** Undefined only for a registry-linked model whose alias has no servable version yet (`unavailable` says why). */
  primary?: RouteSide;
  unavailable?: string;
  canary?: RouteSide & { weight: number; window: CanaryWindow };
  /** Follows registry aliases (its upstreams belong to RegistryLinks). */
  linked?: boolean;
}

/**
 * Canary weights live in the store, so a restart (or another instance) never revives a rolled-back canary. The
 * configured weight applies until a rollback sets it to 0; a later configured weight does not undo a rollback.
 * A registry-linked canary's rollback holds for the version rolled back (`canaryVersion`, `name@version`): once the
 * canary alias points at another version, that version is routed again.
 */
export async function loadCanaryWeight(store: Store, model: string, configured: number, canaryVersion?: string): Promise<{ weight: number; rolledBackAt?: string; reason?: string }> {
  const row = await store.db.selectFrom('gateway_routes').selectAll().where('model', '=', model).executeTakeFirst();
  if (row === undefined) {
    await store.db.insertInto('gateway_routes').values({ model, canary_weight: configured, rolled_back_at: null, reason: null, canary_version: null }).onConflict((oc) => oc.column('model').doNothing()).execute();
    return { weight: configured };
  }
  if (row.rolled_back_at !== null) {
    if (row.canary_version === (canaryVersion ?? null)) return { weight: 0, rolledBackAt: row.rolled_back_at, ...(row.reason === null ? {} : { reason: row.reason }) };
    // Rolled back from another version: this one starts afresh (only the first instance to see it clears the row).
    await store.db.updateTable('gateway_routes').set({ canary_weight: configured, rolled_back_at: null, reason: null, canary_version: null }).where('model', '=', model).where('rolled_back_at', '=', row.rolled_back_at).execute();
    return { weight: configured };
  }
  if (row.canary_weight !== configured) await store.db.updateTable('gateway_routes').set({ canary_weight: configured }).where('model', '=', model).execute();
  return { weight: configured };
}

/** Records a rollback (weight 0) unless one is already recorded; returns whether this call made it. */
export async function recordRollback(store: Store, model: string, reason: string, now: Date, canaryVersion?: string): Promise<boolean> {
  const r = await store.db
    .updateTable('gateway_routes')
    .set({ canary_weight: 0, rolled_back_at: now.toISOString(), reason, canary_version: canaryVersion ?? null })
    .where('model', '=', model)
    .where('rolled_back_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Rollbacks recorded by any instance reach this one: canaries whose rolled-back version they still serve go to 0. */
export async function refreshRollbacks(store: Store, routes: Map<string, ModelRoute>): Promise<void> {
  const live = [...routes.values()].filter((r) => r.canary !== undefined && r.canary.weight > 0);
  if (live.length === 0) return;
  const rows = await store.db.selectFrom('gateway_routes').select(['model', 'canary_version']).where('rolled_back_at', 'is not', null).execute();
  for (const row of rows) {
    const c = routes.get(row.model)?.canary;
    if (c !== undefined && row.canary_version === (c.version ?? null)) c.weight = 0;
  }
}

/**
 * Gateway models that follow registry aliases (`{ registry, alias, canaryAlias }`). At start every alias is resolved
 * to its version and that version's registered endpoint; then `refresh()` (every second, beside the API keys) reads
 * only the aliases moved since the last change it saw, so promotions, rollbacks and incidents reach every instance
 * within about a second. Every 60th refresh re-reads all aliases, which also covers a move whose change number
 * committed after a later one's (possible on PostgreSQL when a freeze and two moves race).
 */
export class RegistryLinks {
  private since = 0;
  private refreshes = 0;
  private running = false;
  private readonly retiring = new Set<Upstream>();

  private constructor(
    private readonly store: Store,
    private readonly linked: { route: ModelRoute; spec: RegistryModelConfig }[],
    private readonly connect: (endpoint: string, spec: RegistryModelConfig) => Upstream,
  ) {}

  /**
   * Adds a route for each registry-linked model of the config to `routes` and resolves its aliases. `connect` makes
   * the connection pool for an endpoint (with the model's credentials and timeout).
   */
  static async start(store: Store, models: Record<string, GatewayModelConfig>, routes: Map<string, ModelRoute>, connect: (endpoint: string, spec: RegistryModelConfig) => Upstream): Promise<RegistryLinks> {
    const linked: { route: ModelRoute; spec: RegistryModelConfig }[] = [];
    for (const [name, spec] of Object.entries(models)) {
      if (!('registry' in spec)) continue;
      const route: ModelRoute = { name, retries: spec.retries, ...(spec.fallback === undefined ? {} : { fallback: spec.fallback }), linked: true, unavailable: notSet(spec.registry, spec.alias) };
      routes.set(name, route);
      linked.push({ route, spec });
    }
    const links = new RegistryLinks(store, linked, connect);
    await links.refresh();
    return links;
  }

  async refresh(): Promise<void> {
    // One refresh at a time: a slow store must not make two of them apply the same moves.
    if (this.linked.length === 0 || this.running) return;
    this.running = true;
    try {
      await this.apply(await changedAliases({ store: this.store }, this.refreshes++ % 60 === 0 ? 0 : this.since));
    } finally {
      this.running = false;
    }
  }

  private async apply(moved: Awaited<ReturnType<typeof changedAliases>>): Promise<void> {
    for (const a of moved) {
      this.since = Math.max(this.since, a.seq);
      for (const { route, spec } of this.linked) {
        if (a.name !== spec.registry) continue;
        const version = `${a.name}@${a.version}`;
        // Versions are immutable, so a side that serves this version already serves its endpoint.
        if (a.alias === spec.alias && route.primary?.version !== version) {
          const old = route.primary;
          if (a.endpoint === undefined) {
            delete route.primary;
            route.unavailable = `${version} (${a.alias}) was registered without an endpoint: register a version with --endpoint URL and promote it`;
          } else {
            route.primary = { upstream: this.connect(a.endpoint, spec), version, ...(spec.model === undefined ? {} : { model: spec.model }) };
            delete route.unavailable;
          }
          this.retire(old);
        }
        if (a.alias === spec.canaryAlias && route.canary?.version !== version) {
          const old = route.canary;
          if (a.endpoint === undefined) delete route.canary;
          else {
            const { weight } = await loadCanaryWeight(this.store, route.name, spec.weight ?? 10, version);
            route.canary = { upstream: this.connect(a.endpoint, spec), version, ...(spec.model === undefined ? {} : { model: spec.model }), weight, window: new CanaryWindow(spec.rollback) };
          }
          this.retire(old);
        }
      }
    }
  }

  /**
   * Closes a replaced side's pool after a grace period: a request that chose the side just before the move still
   * reaches it, retries included (a closed pool would refuse them); requests already sent finish before it closes.
   */
  private retire(side: RouteSide | undefined): void {
    if (side === undefined) return;
    this.retiring.add(side.upstream);
    setTimeout(() => {
      if (this.retiring.delete(side.upstream)) void side.upstream.close().catch(() => undefined);
    }, RETIRE_AFTER_MS).unref();
  }

  /** Closes the connection pools of the linked models (in-flight requests finish first). */
  async close(): Promise<void> {
    const retiring = [...this.retiring];
    this.retiring.clear();
    await Promise.all([...retiring.map((u) => u.close()), ...this.linked.flatMap(({ route }) => [route.primary?.upstream.close(), route.canary?.upstream.close()])]);
  }
}

const RETIRE_AFTER_MS = 10_000;

const notSet = (name: string, alias: string): string => `${name}@${alias} points at no version yet: promote one (palisade model promote ${name}@VERSION --to ${alias})`;
