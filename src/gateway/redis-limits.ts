import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';
import { buckets, type LimitCheck, type Limiter, type Reservation } from './limits.js';

/**
 * The same buckets as MemoryLimiter, kept in Redis so that every gateway instance draws from one allowance. Reserve
 * and settle are Lua scripts, so each is atomic across instances, and they read Redis's own clock, so instances need
 * not agree on the time. Each bucket is a hash {level, at} that expires after two idle minutes.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local levels = {}
for i = 1, n do
  local cap = tonumber(ARGV[2 * i - 1])
  local amount = tonumber(ARGV[2 * i])
  local s = redis.call('HMGET', KEYS[i], 'level', 'at')
  local level = cap
  if s[1] then level = math.min(cap, tonumber(s[1]) + (now - tonumber(s[2])) * cap / 60000) end
  if level < amount and level < cap then
    return {0, i, tostring(math.ceil((math.min(amount, cap) - level) / (cap / 60000)))}
  end
  levels[i] = level
end
for i = 1, n do
  redis.call('HSET', KEYS[i], 'level', tostring(levels[i] - tonumber(ARGV[2 * i])), 'at', now)
  redis.call('PEXPIRE', KEYS[i], 120000)
end
return {1, 0, '0'}
`;

const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  local cap = tonumber(ARGV[2 * i - 1])
  local delta = tonumber(ARGV[2 * i])
  local s = redis.call('HMGET', KEYS[i], 'level', 'at')
  local level = cap
  if s[1] then level = math.min(cap, tonumber(s[1]) + (now - tonumber(s[2])) * cap / 60000) end
  redis.call('HSET', KEYS[i], 'level', tostring(math.min(cap, level + delta)), 'at', now)
  redis.call('PEXPIRE', KEYS[i], 120000)
end
return 1
`;

export interface RedisLimiterOptions {
  url: string;
  /** Key prefix, so several gateways (or tests) can share one Redis. */
  prefix?: string;
  /** How long one limiter call may take before Redis counts as unreachable. */
  timeoutMs?: number;
}

type Scripted = IORedis.Redis & {
  palisadeReserve(n: number, ...args: (string | number)[]): Promise<[number, number, string]>;
  palisadeSettle(n: number, ...args: (string | number)[]): Promise<number>;
};

export class RedisLimiter implements Limiter {
  private readonly redis: Scripted;
  private readonly prefix: string;

  constructor(opts: RedisLimiterOptions) {
    this.prefix = opts.prefix ?? 'palisade:limit:';
    // Loaded here, not at import: every `palisade` command imports the gateway, and only a limiter on Redis needs it.
    const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof IORedis;
    const redis = new RedisClient(opts.url, {
      // Fail at once while disconnected instead of queueing: the caller decides between closed and open.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.timeoutMs ?? 500,
      retryStrategy: () => 500,
      lazyConnect: false,
    });
    // ioredis emits 'error' on every failed reconnect; without a listener that would crash the process.
    redis.on('error', () => undefined);
    redis.defineCommand('palisadeReserve', { lua: RESERVE });
    redis.defineCommand('palisadeSettle', { lua: SETTLE });
    this.redis = redis as Scripted;
  }

  /** Resolves once connected (or rejects after `timeoutMs`), for readiness checks and tests. */
  async ready(timeoutMs = 2000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs} ms`)), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async reserve(checks: readonly LimitCheck[], tokens: number): Promise<Reservation> {
    const bs = buckets(checks, tokens);
    if (bs.length === 0) return { ok: true, release: () => Promise.resolve() };
    const keys = bs.map((b) => this.prefix + b.id);
    const [ok, i, wait] = await this.redis.palisadeReserve(keys.length, ...keys, ...bs.flatMap((b) => [b.capacity, b.amount]));
    if (ok !== 1) {
      const b = bs[i - 1]!;
      return { ok: false, scope: b.scope, kind: b.kind, retryAfterSeconds: Math.max(1, Math.ceil(Number(wait) / 1000)) };
    }
    const tpm = bs.filter((b) => b.kind === 'tpm');
    return {
      ok: true,
      release: async (actual: number) => {
        if (tpm.length === 0) return;
        const ks = tpm.map((b) => this.prefix + b.id);
        await this.redis.palisadeSettle(ks.length, ...ks, ...tpm.flatMap((b) => [b.capacity, b.amount - Math.max(0, actual)]));
      },
    };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}
