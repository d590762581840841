import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/access/index.js';
import { AuditLog, logKey, searchEntries } from '../../src/audit/index.js';
import { RegistryConfigSchema } from '../../src/core/config-schema.js';
import { canaryBucket, createApiKey, startDemoUpstream, type DemoUpstream } from '../../src/gateway/index.js';
import { openIncident, promote, registerModel, rollback, setAlias, type RegistryDeps } from '../../src/registry/index.js';
import type { Store } from '../../src/store/index.js';
import { describeWithService } from '../support/services.js';
import { openTestPostgres, openTestSqlite, type TestStore } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { startGateway, within, type Harness } from './support.js';

const eng: Principal = { id: 'user:eve', role: 'ml-engineer' };
const reviewer: Principal = { id: 'user:rita', role: 'security-reviewer' };

/** Which demo upstream answered (each is named after the version it serves), or the error code. */
async function servedBy(g: Harness, key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await g.post('/v1/chat/completions', key, { model: 'fraud', messages: [{ role: 'user', content: 'score this' }], ...extra });
  const body = (await r.json()) as { choices?: { message: { content: string } }[]; error?: { code: string } };
  if (r.status !== 200) return `${r.status} ${body.error?.code}`;
  return /\((v[\d]+)\)/.exec(body.choices![0]!.message.content)?.[1] ?? 'unknown';
}

async function flow(open: () => Promise<TestStore>): Promise<void> {
  const { store, cleanup } = await open();
  const upstreams: DemoUpstream[] = [];
  const gateways: Harness[] = [];
  try {
    await run(store, upstreams, gateways);
  } finally {
    for (const g of gateways) await g.close();
    for (const u of upstreams) await u.close();
    await cleanup();
  }
}

async function run(store: Store, upstreams: DemoUpstream[], gateways: Harness[]): Promise<void> {
  const lk = generateKeyPairSync('ed25519');
  const log = new AuditLog(store, logKey(lk.privateKey, lk.publicKey));
  const root = tempDir();
  const deps: RegistryDeps = { store, log, home: root, config: RegistryConfigSchema.parse({ gates: { '*': ['scan'] }, approvals: 0, incident: { notify: false } }) };
  // One model server per version, each answering with its version's name.
  const server: Record<string, DemoUpstream> = {};
  for (const v of ['v1', 'v2', 'v3', 'v4']) upstreams.push((server[v] = await startDemoUpstream({ faults: true, name: v })));
  const register = async (version: string, endpoint?: string): Promise<void> => {
    const dir = join(root, version);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ version }));
    await registerModel(deps, eng, { path: dir, name: 'fraud', version, ...(endpoint === undefined ? {} : { endpoint }) });
  };
  for (const v of ['1', '2', '3', '4']) await register(`${v}.0.0`, server[`v${v}`]!.url);
  await register('5.0.0-no-endpoint');

  // A key on each side of the canary split (the split is by hash of key id and model).
  const keys: { key: string; bucket: number }[] = [];
  while (!keys.some((k) => k.bucket < 50) || !keys.some((k) => k.bucket >= 50)) {
    const { key, record } = await createApiKey(store, { name: 'app', models: ['fraud'], createdBy: 'os:tester' });
    keys.push({ key, bucket: canaryBucket(record.id, 'fraud') });
  }
  const onCanary = keys.find((k) => k.bucket < 50)!.key;
  const onPrimary = keys.find((k) => k.bucket >= 50)!.key;

  // Two gateway instances on the one store, refreshing every second as `palisade serve` does.
  const configure = () => ({ models: { fraud: { registry: 'fraud', alias: 'production', canaryAlias: 'canary', weight: 50, rollback: { maxErrorRate: 0.2, minRequests: 3 } } } });
  const start = async (): Promise<Harness> => {
    const g = await startGateway(configure, { store, log, keyRefreshMs: 1000 });
    gateways.push(g);
    return g;
  };
  const [a, b] = [await start(), await start()];
  const both = async (key: string, want: string): Promise<string[]> => Promise.all([a, b].map((g) => within(2000, want, () => servedBy(g, key))));

  // Nothing promoted yet: listed, but unavailable with the reason.
  const models = (await (await fetch(`${a.base}/v1/models`, { headers: { authorization: `Bearer ${onPrimary}` } })).json()) as { data: { id: string }[] };
  expect(models.data.map((m) => m.id)).toEqual(['fraud']);
  const none = await a.post('/v1/chat/completions', onPrimary, { model: 'fraud', messages: [{ role: 'user', content: 'x' }] });
  expect(none.status).toBe(503);
  expect(await none.json()).toMatchObject({ error: { code: 'model_unavailable', message: expect.stringMatching(/fraud@production points at no version yet/) } });

  // Promote: both instances serve the version's registered endpoint.
  expect((await promote(deps, eng, 'fraud', '1.0.0', 'production')).promoted).toBe(true);
  expect(await both(onPrimary, 'v1')).toEqual(['v1', 'v1']);
  expect((await promote(deps, eng, 'fraud', '2.0.0', 'production')).promoted).toBe(true);
  expect(await both(onPrimary, 'v2')).toEqual(['v2', 'v2']);

  // A canary alias: keys in the canary's share go to its version, the others stay on production.
  await setAlias(deps, eng, 'fraud', '3.0.0', 'canary', 'try 3.0.0 on half the keys');
  expect(await both(onCanary, 'v3')).toEqual(['v3', 'v3']);
  expect(await both(onPrimary, 'v2')).toEqual(['v2', 'v2']);

  // The canary's version fails: instance a rolls it back; b follows; a restart does not revive it.
  // (Its window already holds the successful requests above, so the bound may break before the third failure; the
  // rest then go to production, where the injected fault fails them too.)
  for (let i = 0; i < 3; i++) expect(await servedBy(a, onCanary, { demo_fault: '500' })).toBe('502 upstream_error');
  expect(await servedBy(a, onCanary)).toBe('v2');
  expect(await within(2000, 'v2', () => servedBy(b, onCanary))).toBe('v2');
  const c = await start();
  expect(await servedBy(c, onCanary)).toBe('v2');
  // A new version on the canary alias is routed again (the rollback held for 3.0.0 only).
  await setAlias(deps, eng, 'fraud', '4.0.0', 'canary', 'try 4.0.0');
  expect(await Promise.all([a, b, c].map((g) => within(2000, 'v4', () => servedBy(g, onCanary))))).toEqual(['v4', 'v4', 'v4']);

  // `palisade model rollback` moves production back to 1.0.0; every running instance follows.
  await rollback(deps, eng, 'fraud', 'production', 'errors in 2.0.0');
  expect(await both(onPrimary, 'v1')).toEqual(['v1', 'v1']);

  // A version registered without an endpoint cannot be served: on the canary alias it gets no traffic.
  await setAlias(deps, eng, 'fraud', '5.0.0-no-endpoint', 'canary', 'no endpoint');
  expect(await both(onCanary, 'v1')).toEqual(['v1', 'v1']);
  expect((await promote(deps, eng, 'fraud', '3.0.0', 'production')).promoted).toBe(true);
  expect(await both(onPrimary, 'v3')).toEqual(['v3', 'v3']);

  // An incident rolls production back to the last known good version (1.0.0: 2.0.0 was rolled back from), and the
  // running gateways serve it.
  const inc = await openIncident(deps, reviewer, 'fraud', 'bad answers from 3.0.0');
  expect(inc.steps.find((s) => s.step === 'rollback')).toMatchObject({ ok: true });
  expect(await both(onPrimary, 'v1')).toEqual(['v1', 'v1']);

  // Each request's audit entry names the version that served it.
  await log.flush();
  const served = (await searchEntries(store, { type: 'gateway.request', limit: 10_000 })).map((e) => e.data as { version?: string; status: number; route: string });
  expect(new Set(served.filter((d) => d.status === 200).map((d) => d.version))).toEqual(new Set(['fraud@1.0.0', 'fraud@2.0.0', 'fraud@3.0.0', 'fraud@4.0.0']));
  const failed = served.filter((d) => d.status === 502);
  expect(failed).toHaveLength(3);
  expect(failed.filter((d) => d.route === 'canary').length).toBeGreaterThanOrEqual(1);
  for (const d of failed) expect(d.version).toBe(d.route === 'canary' ? 'fraud@3.0.0' : 'fraud@2.0.0');
  expect(served.filter((d) => d.status === 503).every((d) => d.version === undefined)).toBe(true);
  const rolled = await searchEntries(store, { type: 'gateway.canary_rolled_back', limit: 10 });
  expect(rolled.map((e) => e.data)).toEqual([{ reason: expect.stringMatching(/^error rate/), version: 'fraud@3.0.0' }]);
}

describe('gateway models linked to the registry, on SQLite', () => {
  it('follow promotions, canary aliases, rollbacks and incidents on every instance', () => flow(openTestSqlite), 120_000);
});

await describeWithService('postgres', 'gateway models linked to the registry, on PostgreSQL', () => {
  it('follow promotions, canary aliases, rollbacks and incidents on every instance', () => flow(openTestPostgres), 120_000);
});
