/**
 * Registering and promoting a model end to end (SQLite store, one trusted key, complete card, one approval):
 * how long `registerModel` (digest, scan, signature and attestation checks) and `promote` (every production gate,
 * re-checked against the files) take as the model grows. Also the cost of resolving an alias and of polling the
 * change counter, which a gateway does.
 * Run: npx tsx bench/registry-promote.ts [MB...]   (default 16 256)
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditLog, logKey } from '../src/audit/index.js';
import { RegistryConfigSchema } from '../src/core/config-schema.js';
import { formatManifest, snapshotDataset } from '../src/data/index.js';
import { serializeModel } from '../src/hashing/index.js';
import { addTrust, promote, registerDataset, registerModel, registryVersion, resolveAlias, review } from '../src/registry/index.js';
import { keyHint, provenanceStatement, signModel, signStatement, spkiPem } from '../src/sign/index.js';
import { openStore } from '../src/store/index.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const root = mkdtempSync(join(tmpdir(), 'palisade-bench-registry-'));
const store = await openStore({ url: join(root, 'palisade.db') });
const lk = generateKeyPairSync('ed25519');
const log = new AuditLog(store, logKey(lk.privateKey, lk.publicKey));
const deps = { store, log, home: root, config: RegistryConfigSchema.parse({}) };
const admin = { id: 'user:root', role: 'admin' as const };
const eve = { id: 'user:eve', role: 'ml-engineer' as const };
const rita = { id: 'user:rita', role: 'security-reviewer' as const };
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
await addTrust(deps, admin, 'release', spkiPem(createPublicKey(privateKey)));
const dsDir = join(root, 'ds');
mkdirSync(dsDir);
writeFileSync(join(dsDir, 'train.csv'), 'a,b\n1,2\n');
const manifest = (await snapshotDataset(dsDir, { name: 'ds' })).manifest;
await registerDataset(deps, eve, { path: dsDir, manifestText: formatManifest(manifest) });
const card = { description: 'bench', trainingData: [{ name: 'ds', source: 'bench' }], intendedUses: ['bench'], outOfScopeUses: ['all else'], limitations: ['none known'], metrics: [{ name: 'accuracy', value: 1 }], owners: [{ name: 'bench' }], license: 'MIT' };

console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const mb of sizes.length > 0 ? sizes : [16, 256]) {
  const dir = join(root, `m${mb}`);
  mkdirSync(dir);
  const chunk = randomBytes(1 << 20);
  const parts: Buffer[] = [];
  for (let i = 0; i < mb; i++) parts.push(chunk);
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat(parts));
  writeFileSync(join(dir, 'config.json'), '{}');
  const { bundle } = await signModel(dir, { privateKey });
  const digest = (await serializeModel(dir)).rootDigest;
  const att = signStatement(provenanceStatement({ model: { name: 'm', rootDigest: digest, ignorePaths: [] }, datasets: [{ name: 'ds', rootDigest: manifest.rootDigest, ignorePaths: [] }], parameters: {} }), privateKey, { hint: keyHint(createPublicKey(privateKey)) });
  const t0 = performance.now();
  await registerModel(deps, eve, { path: dir, name: 'm', version: `${mb}`, card, signature: { text: JSON.stringify(bundle), path: join(root, 'x.sig') }, attestation: { text: JSON.stringify(att), path: join(root, 'x.att') } });
  const t1 = performance.now();
  await review(deps, rita, 'm', `${mb}`, 'approve', 'ok');
  const t2 = performance.now();
  const r = await promote(deps, eve, 'm', `${mb}`, 'production');
  const t3 = performance.now();
  if (!r.promoted) throw new Error(`not promoted: ${JSON.stringify(r.gates)}`);
  console.log(`${mb} MiB model: register ${(t1 - t0).toFixed(0)} ms, promote (6 gates) ${(t3 - t2).toFixed(0)} ms`);
}
const n = 2000;
let t = performance.now();
for (let i = 0; i < n; i++) await resolveAlias(deps, 'm', 'production');
console.log(`resolveAlias: ${((performance.now() - t) / n).toFixed(3)} ms each (${n} calls)`);
t = performance.now();
for (let i = 0; i < n; i++) await registryVersion(store.db);
console.log(`registryVersion (gateway poll): ${((performance.now() - t) / n).toFixed(3)} ms each (${n} calls)`);
await log.flush();
await store.close();
rmSync(root, { recursive: true, force: true });
