import { createHash } from 'node:crypto';
import type { Store } from '../store/index.js';

/** The side of a canary split that serves a request. */
export type Route = 'primary' | 'canary';

/**
 * Which API keys go to the canary: hash(key id, model) mod 100 < weight, so one key stays on one side for a model
 * while the weight holds (a user does not flip between versions mid-conversation).
 */
export function canaryBucket(keyId: string, model: string): number {
  return createHash('sha256').update(keyId).update('\0').update(model).digest().readUInt32BE(0) % 100;
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

/**
 * Canary weights live in the store, so a restart (or another instance) never revives a rolled-back canary. The
 * configured weight applies until a rollback sets it to 0; a later configured weight does not undo a rollback.
 */
export async function loadCanaryWeight(store: Store, model: string, configured: number): Promise<{ weight: number; rolledBackAt?: string; reason?: string }> {
  const row = await store.db.selectFrom('gateway_routes').selectAll().where('model', '=', model).executeTakeFirst();
  if (row === undefined) {
    await store.db.insertInto('gateway_routes').values({ model, canary_weight: configured, rolled_back_at: null, reason: null }).onConflict((oc) => oc.column('model').doNothing()).execute();
    return { weight: configured };
  }
  if (row.rolled_back_at !== null) return { weight: 0, rolledBackAt: row.rolled_back_at, ...(row.reason === null ? {} : { reason: row.reason }) };
  if (row.canary_weight !== configured) await store.db.updateTable('gateway_routes').set({ canary_weight: configured }).where('model', '=', model).execute();
  return { weight: configured };
}

/** Records a rollback (weight 0) unless one is already recorded; returns whether this call made it. */
export async function recordRollback(store: Store, model: string, reason: string, now: Date): Promise<boolean> {
  const r = await store.db.updateTable('gateway_routes').set({ canary_weight: 0, rolled_back_at: now.toISOString(), reason }).where('model', '=', model).where('rolled_back_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
