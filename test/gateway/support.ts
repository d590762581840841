import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AuditLog, logKey } from '../../src/audit/index.js';
import { ConfigSchema, type Config } from '../../src/core/config-schema.js';
import { ApiKeyIndex, buildGateway, createApiKey, MemoryLimiter, startDemoUpstream, type DemoUpstream, type GatewayGuards, type Limiter, type NewApiKey } from '../../src/gateway/index.js';
import type { Store } from '../../src/store/index.js';
import { openTestSqlite } from '../support/stores.js';

export interface Harness {
  base: string;
  store: Store;
  log: AuditLog;
  upstream: DemoUpstream;
  canary?: DemoUpstream;
  /** The secret of the entries' keyed digests. */
  digestSecret: Uint8Array;
  key: (spec?: Partial<NewApiKey>) => Promise<string>;
  post: (path: string, key: string | undefined, body: unknown, headers?: Record<string, string>) => Promise<Response>;
  close: () => Promise<void>;
}

/**
 * A gateway on a real loopback socket in front of the demo upstream (faults on demand), over a real SQLite store.
 * `configure` receives the upstream URLs and returns the config sections to use.
 */
export async function startGateway(
  configure: (u: { upstream: string; canary: string }) => Record<string, unknown> = (u) => ({ models: { chat: { upstream: u.upstream } } }),
  opts: { store?: Store; log?: AuditLog; limiter?: Limiter; secrets?: Record<string, string>; keyRefreshMs?: number; guards?: GatewayGuards } = {},
): Promise<Harness> {
  const upstream = await startDemoUpstream({ faults: true, name: 'primary' });
  const canary = await startDemoUpstream({ faults: true, name: 'canary' });
  const own = opts.store === undefined ? await openTestSqlite() : undefined;
  const store = opts.store ?? own!.store;
  const config: Config = ConfigSchema.parse(configure({ upstream: upstream.url, canary: canary.url }));
  const log = opts.log ?? ownLog(store);
  const keys = new ApiKeyIndex(store);
  const digestSecret = randomBytes(32);
  const gw = await buildGateway({ config, store, log, keys, limiter: opts.limiter ?? new MemoryLimiter(), digestSecret, secretEnv: (n) => opts.secrets?.[n], keyRefreshMs: opts.keyRefreshMs ?? 50, ...(opts.guards === undefined ? {} : { guards: opts.guards }) });
  await gw.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
  return {
    base,
    store,
    log,
    upstream,
    canary,
    digestSecret,
    // The gateway polls for new keys; a test does not wait for the poll.
    key: async (spec = {}) => {
      const { key } = await createApiKey(store, { name: 'test', models: ['chat'], createdBy: 'os:tester', ...spec });
      await keys.refresh();
      return key;
    },
    post: (path, key, body, headers = {}) =>
      fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    close: async () => {
      await gw.close();
      await upstream.close();
      await canary.close();
      await own?.cleanup();
    },
  };
}

function ownLog(store: Store): AuditLog {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return new AuditLog(store, logKey(privateKey, publicKey));
}

export const chat = (content = 'Hello there', extra: Record<string, unknown> = {}) => ({ model: 'chat', messages: [{ role: 'user', content }], ...extra });

/** The data events of an SSE body, in order. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6));
}

/** Until `probe` returns `want` (checked every 25 ms), or `ms` have passed: then the last value, for the assertion. */
export async function within<T>(ms: number, want: T, probe: () => Promise<T>): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got === want || Date.now() >= until) return got;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
