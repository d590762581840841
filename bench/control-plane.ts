/**
 * The control plane's cost per request: the plugin `palisade serve` registers, on a loopback socket, over a SQLite
 * store in /tmp, with requests sent one at a time (the control plane is an admin API, not a hot path). Every request
 * authenticates a `pu_` token (SHA-256 and an indexed lookup); reads add a Cedar decision and their queries; a write
 * adds an audit entry committed with a signed checkpoint. CPU is this process's (server and client together), so it
 * is an upper bound on the server's share.
 *
 *   npx tsx bench/control-plane.ts [--requests 500]
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { Pool } from 'undici';
import { createUser } from '../src/access/index.js';
import { AuditLog, logKey } from '../src/audit/index.js';
import { CONTROL_PREFIX, controlPlane } from '../src/control/index.js';
import { RegistryConfigSchema } from '../src/core/config-schema.js';
import { registerModel } from '../src/registry/index.js';
import { openStore } from '../src/store/index.js';
import { describeMachine } from './lib/machine.js';
import { table } from './lib/stats.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '500' } } });
const N = Number(values.requests);
const root = mkdtempSync(join(tmpdir(), 'palisade-bench-control-'));
const store = await openStore({ url: join(root, 'palisade.db') });
const lk = generateKeyPairSync('ed25519');
const log = new AuditLog(store, logKey(lk.privateKey, lk.publicKey));
const deps = { store, log, home: root, config: RegistryConfigSchema.parse({}) };
const admin = (await createUser(store, { name: 'root', role: 'admin', createdBy: 'os:bench' })).token;
const viewer = (await createUser(store, { name: 'vic', role: 'viewer', createdBy: 'os:bench' })).token;
// Ten small versions, so a model list reads something.
for (let i = 0; i < 10; i++) {
  const dir = join(root, `m${i}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ i }));
  await registerModel(deps, { id: 'user:root', role: 'admin' }, { path: dir, name: 'bench', version: `1.0.${i}`, copy: false });
}

const app = Fastify({ logger: false });
await app.register(controlPlane({ deps }), { prefix: CONTROL_PREFIX });
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as { port: number }).port;
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });

interface Case {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  token: string;
  body?: (i: number) => string;
  status: number;
}
const cases: Case[] = [
  { name: 'refused token (401)', method: 'GET', path: '/whoami', token: `pu_${'A'.repeat(43)}`, status: 401 },
  { name: 'GET /whoami (authentication only)', method: 'GET', path: '/whoami', token: viewer, status: 200 },
  { name: 'GET /models (10 versions)', method: 'GET', path: '/models', token: viewer, status: 200 },
  { name: 'denied: viewer GET /audit/tail (403)', method: 'GET', path: '/audit/tail', token: viewer, status: 403 },
  { name: 'GET /audit/tail?lines=20', method: 'GET', path: '/audit/tail?lines=20', token: admin, status: 200 },
  { name: 'POST /apikeys (insert + audit entry)', method: 'POST', path: '/apikeys', token: admin, body: (i) => JSON.stringify({ name: `k${i}`, models: ['chat'] }), status: 200 },
];

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`load average at start: ${load()}`);
const rows: string[][] = [];
for (const c of cases) {
  const once = async (i: number): Promise<void> => {
    const r = await pool.request({ method: c.method, path: `${CONTROL_PREFIX}${c.path}`, headers: { authorization: `Bearer ${c.token}`, ...(c.body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(c.body === undefined ? {} : { body: c.body(i) }) });
    await r.body.text();
    if (r.statusCode !== c.status) throw new Error(`${c.name}: HTTP ${r.statusCode}`);
  };
  for (let i = 0; i < 20; i++) await once(-1 - i); // warm-up (Cedar's first decision compiles the policies)
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    await once(i);
    ms.push(performance.now() - s);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  ms.sort((a, b) => a - b);
  const q = (p: number): string => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);
  rows.push([c.name, String(N), (N / (wall / 1000)).toFixed(0), q(0.5), q(0.99), ((cpu.user + cpu.system) / 1000 / N).toFixed(2)]);
}
console.log(table(['request', 'n', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/request'], rows));
const m = describeMachine();
console.log(`\n${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, commit ${m.commit}; load average at end: ${load()}`);
await pool.close();
await app.close();
await log.flush();
await store.close();
rmSync(root, { recursive: true, force: true });
