/**
 * Requests- and tokens-per-minute limits as token buckets: a bucket holds up to one minute's allowance and refills
 * continuously. A request first *reserves* its estimated tokens (prompt estimate plus max_tokens) in every bucket that
 * applies (its key's and its model's), all or none; when the upstream reports actual usage the request *settles*,
 * returning what it did not use or taking what it overran. A bucket may go into debt (one request larger than a
 * minute's allowance is let through when the bucket is full, then blocks the next ones) so nothing starves.
 */
export interface LimitCheck {
  /** Bucket identity, e.g. `key:<id>` or `model:<name>`. */
  scope: string;
  rpm?: number;
  tpm?: number;
}

export type Reservation = { ok: true; release: Settle } | { ok: false; scope: string; kind: 'rpm' | 'tpm'; retryAfterSeconds: number };

/** Settles a reservation with the tokens actually used (prompt + completion). */
export type Settle = (actualTokens: number) => Promise<void>;

export interface Limiter {
  reserve(checks: readonly LimitCheck[], tokens: number): Promise<Reservation>;
  close(): Promise<void>;
}

/** The buckets a reservation touches, flattened: one per (scope, kind). */
export function buckets(checks: readonly LimitCheck[], tokens: number): { id: string; capacity: number; amount: number; kind: 'rpm' | 'tpm'; scope: string }[] {
  const out = [];
  for (const c of checks) {
    if (c.rpm !== undefined) out.push({ id: `${c.scope}:rpm`, capacity: c.rpm, amount: 1, kind: 'rpm' as const, scope: c.scope });
    if (c.tpm !== undefined) out.push({ id: `${c.scope}:tpm`, capacity: c.tpm, amount: Math.max(0, tokens), kind: 'tpm' as const, scope: c.scope });
  }
  return out;
}

/** One instance's buckets, in memory. Across instances use the Redis limiter. */
export class MemoryLimiter implements Limiter {
  private state = new Map<string, { level: number; at: number }>();

  constructor(private readonly clock: () => number = () => Date.now()) {}

  reserve(checks: readonly LimitCheck[], tokens: number): Promise<Reservation> {
    const now = this.clock();
    const bs = buckets(checks, tokens);
    const levels = bs.map((b) => this.level(b.id, b.capacity, now));
    for (let i = 0; i < bs.length; i++) {
      const b = bs[i]!;
      const level = levels[i]!;
      // A full bucket always admits one request, however large: the debt then holds back the next ones.
      if (level < b.amount && level < b.capacity) {
        const perMs = b.capacity / 60_000;
        return Promise.resolve({ ok: false, scope: b.scope, kind: b.kind, retryAfterSeconds: Math.max(1, Math.ceil((Math.min(b.amount, b.capacity) - level) / perMs / 1000)) });
      }
    }
    bs.forEach((b, i) => this.state.set(b.id, { level: levels[i]! - b.amount, at: now }));
    const tpm = bs.filter((b) => b.kind === 'tpm');
    return Promise.resolve({
      ok: true,
      release: (actual: number) => {
        const t = this.clock();
        for (const b of tpm) {
          const level = this.level(b.id, b.capacity, t);
          this.state.set(b.id, { level: Math.min(b.capacity, level + b.amount - Math.max(0, actual)), at: t });
        }
        return Promise.resolve();
      },
    });
  }

  private level(id: string, capacity: number, now: number): number {
    const s = this.state.get(id);
    if (s === undefined) return capacity;
    return Math.min(capacity, s.level + ((now - s.at) * capacity) / 60_000);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
