/**
 * Gateway models that follow a registry alias: what the gateway's once-a-second poll costs (`changedAliases` with
 * nothing new, on a registry of many models and aliases), and how long an alias move takes to reach a running
 * gateway (from the rollback's commit to the first request the new version serves) at the default 1 s refresh.
 * Run: npx tsx bench/registry-link.ts [moves]   (default 20; PostgreSQL too when it is reachable)
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { AuditLog, logKey } from '../src/audit/index.js';
import { ConfigSchema, RegistryConfigSchema } from '../src/core/config-schema.js';
import { ApiKeyIndex, buildGateway, createApiKey, MemoryLimiter, startDemoUpstream } from '../src/gateway/index.js';
import { changedAliases, promote, registerModel, registryVersion, rollback, setAlias, type RegistryDeps } from '../src/registry/index.js';
import { dropSchema, openStore, type Store } from '../src/store/index.js';

const moves = Number(process.argv[2] ?? 20);
const eng = { id: 'user:eve', role: 'ml-engineer' as const };
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function measure(label: string, store: Store): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'palisade-bench-link-'));
  const lk = generateKeyPairSync('ed25519');
  const log = new AuditLog(store, logKey(lk.privateKey, lk.publicKey));
  const deps: RegistryDeps = { store, log, home: root, config: RegistryConfigSchema.parse({ gates: { '*': [] }, approvals: 0 }) };
  const dir = join(root, 'm');
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), '{}');
  const servers = [await startDemoUpstream({ name: 'v1' }), await startDemoUpstream({ name: 'v2' })];
  // A registry of 100 models with three aliases each, so the poll runs against a realistic table.
  for (let m = 0; m < 100; m++) {
    for (const v of ['1', '2']) await registerModel(deps, eng, { path: dir, name: `model-${m}`, version: v, endpoint: servers[Number(v) - 1]!.url });
    for (const a of ['staging', 'canary']) await setAlias(deps, eng, `model-${m}`, '1', a, 'bench');
    await promote(deps, eng, `model-${m}`, '1', 'production');
  }
  const since = await registryVersion(store.db);
  const n = 2000;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await changedAliases(deps, since);
  const wall = (performance.now() - t0) / n;
  const cpu = process.cpuUsage(c0);
  console.log(`${label}: poll with nothing new (changedAliases, 300 aliases): ${(wall * 1000).toFixed(0)} µs wall, ${((cpu.user + cpu.system) / n).toFixed(0)} µs CPU per call (${n} calls)`);

  const config = ConfigSchema.parse({ models: { fraud: { registry: 'model-0', alias: 'production' } } });
  const { key } = await createApiKey(store, { name: 'bench', models: ['fraud'], createdBy: 'os:bench' });
  const gw = await buildGateway({ config, store, log, keys: new ApiKeyIndex(store), limiter: new MemoryLimiter(), digestSecret: randomBytes(32), secretEnv: () => undefined });
  await gw.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
  const served = async (): Promise<string> => {
    const r = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'fraud', messages: [{ role: 'user', content: 'hi' }] }) });
    return /\((v\d)\)/.exec(await r.text())?.[1] ?? 'none';
  };
  const follow: number[] = [];
  for (let i = 0; i < moves; i++) {
    // Alternate: promote 2 (moves production forward), then roll back to 1; the clock starts once the move committed.
    const to = i % 2 === 0 ? 'v2' : 'v1';
    // At a random point of the refresh cycle (right after the last change was seen, a move would always wait ~1 s).
    await new Promise((r) => setTimeout(r, Math.random() * 1000));
    if (to === 'v2') await promote(deps, eng, 'model-0', '2', 'production');
    else await rollback(deps, eng, 'model-0', 'production', 'bench');
    const t = performance.now();
    while ((await served()) !== to) await new Promise((r) => setTimeout(r, 5));
    follow.push(performance.now() - t);
  }
  console.log(`${label}: alias move to first request served by the new version (refresh every 1000 ms, ${moves} moves at random points of the cycle): p50 ${pct(follow, 0.5).toFixed(0)} ms, max ${Math.max(...follow).toFixed(0)} ms`);
  await gw.close();
  for (const s of servers) await s.close();
}

console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const sqlite = await openStore({ url: join(mkdtempSync(join(tmpdir(), 'palisade-bench-link-db-')), 'palisade.db') });
await measure('SQLite', sqlite);
await sqlite.close();
const pgUrl = process.env.PALISADE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
try {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = await openStore({ url: pgUrl, schema });
  try {
    await measure('PostgreSQL', pg);
  } finally {
    await dropSchema(pg, schema);
    await pg.close();
  }
} catch (err) {
  console.log(`PostgreSQL skipped: ${(err as Error).message}`);
}
console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
