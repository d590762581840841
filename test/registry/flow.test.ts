import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decide, type Principal } from '../../src/access/index.js';
import { AuditLog, logKey, verifyLog } from '../../src/audit/index.js';
import { RegistryConfigSchema } from '../../src/core/config-schema.js';
import { createApiKey, listApiKeys } from '../../src/gateway/index.js';
import {
  addTrust,
  changedAliases,
  closeIncident,
  modelHistory,
  openIncident,
  promote,
  registerDataset,
  registerModel,
  registryVersion,
  resolveAlias,
  review,
  rollback,
  setAlias,
  type RegistryDeps,
} from '../../src/registry/index.js';
import type { Store } from '../../src/store/index.js';
import { describeWithService } from '../support/services.js';
import { openTestPostgres, openTestSqlite, type TestStore } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { COMPLETE_CARD, dataset, modelFiles, signingKeys } from './fixtures.js';

const admin: Principal = { id: 'user:root', role: 'admin' };
const eve: Principal = { id: 'user:eve', role: 'ml-engineer' };
const mel: Principal = { id: 'user:mel', role: 'ml-engineer' };
const rita: Principal = { id: 'user:rita', role: 'security-reviewer' };
const vic: Principal = { id: 'user:vic', role: 'viewer' };

async function flow(open: () => Promise<TestStore>): Promise<void> {
  const { store, cleanup } = await open();
  try {
    await run(store);
  } finally {
    await cleanup();
  }
}

async function run(store: Store): Promise<void> {
  const lk = generateKeyPairSync('ed25519');
  const log = new AuditLog(store, logKey(lk.privateKey, lk.publicKey));
  const root = tempDir();
  const key = await createApiKey(store, { name: 'fraud app', models: ['fraud'], createdBy: admin.id });
  const deps: RegistryDeps = { store, log, home: root, config: RegistryConfigSchema.parse({ metrics: { accuracy: 0.9 }, approvals: 1, incident: { revokeKeys: [key.record.id] } }) };
  const { privateKey, publicPem } = signingKeys();
  await addTrust(deps, admin, 'release-key', publicPem);

  const ds = await dataset(root);
  const dsv = await registerDataset(deps, eve, { path: ds.dir, manifestText: ds.manifest, version: 'v1' });
  const reg = async (version: string, o: { malicious?: boolean; sign?: boolean; tamper?: boolean; card?: object; by?: Principal } = {}) => {
    const m = await modelFiles(root, `fraud-${version}`, { key: privateKey, datasetDigest: dsv.rootDigest, ...o });
    return registerModel(deps, o.by ?? eve, { path: m.dir, name: 'fraud', version, card: (o.card ?? COMPLETE_CARD) as never, ...(m.signature === undefined ? {} : { signature: m.signature }), ...(m.attestation === undefined ? {} : { attestation: m.attestation }), endpoint: `http://127.0.0.1:9/${version}/v1` });
  };
  const failed = async (version: string): Promise<Record<string, string>> => {
    const r = await promote(deps, eve, 'fraud', version, 'production');
    expect(r.promoted).toBe(false);
    return Object.fromEntries(r.gates.filter((g) => !g.ok).map((g) => [g.gate, g.reason]));
  };

  // A proper model: every gate passes once a security reviewer (not the registrant) approved it.
  const v1 = await reg('1.0.0');
  expect(v1.findings).toMatchObject({ scan: { verdict: 'safe' }, signature: { status: 'verified', signer: 'release-key' }, attestation: { status: 'verified' }, cardMissing: [] });
  expect(await failed('1.0.0')).toEqual({ approvals: '0 of 1 approvals from security reviewers other than the registrant' });
  await expect(review(deps, mel, 'fraud', '1.0.0', 'approve', 'looks fine')).rejects.toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringMatching(/only a security-reviewer may approve/) });
  await review(deps, rita, 'fraud', '1.0.0', 'approve', 'reviewed scan, signature and card');
  const p1 = await promote(deps, eve, 'fraud', '1.0.0', 'production');
  expect(p1.promoted).toBe(true);
  expect(p1.gates.map((g) => g.gate)).toEqual(['scan', 'signature', 'attestation', 'card', 'metrics', 'approvals']);

  // Each bad model is blocked with the right reason.
  await reg('2.0.0-evil', { malicious: true });
  await review(deps, rita, 'fraud', '2.0.0-evil', 'approve', 'missed it');
  expect((await failed('2.0.0-evil')).scan).toMatch(/scan verdict unsafe: .*model\.pkl/);
  await reg('2.0.1-unsigned', { sign: false });
  expect((await failed('2.0.1-unsigned')).signature).toBe('unsigned: no signature was registered');
  await reg('2.0.2-tampered', { tamper: true });
  expect((await failed('2.0.2-tampered')).signature).toMatch(/does not match its signature \(modified: config\.json\)/);
  await reg('2.0.3-card', { card: { ...COMPLETE_CARD, limitations: undefined, owners: undefined } });
  expect((await failed('2.0.3-card')).card).toBe('model card incomplete: missing limitations, owners');
  await reg('2.0.4-weak', { card: { ...COMPLETE_CARD, metrics: [{ name: 'accuracy', value: 0.5 }] } });
  expect((await failed('2.0.4-weak')).metrics).toBe('metrics below thresholds: accuracy 0.5 < 0.9');
  // Self-approval: sam registered as an engineer, later became a reviewer; the two-person rule still holds.
  await reg('2.0.5-self', { by: { id: 'user:sam', role: 'ml-engineer' } });
  await expect(review(deps, { id: 'user:sam', role: 'security-reviewer' }, 'fraud', '2.0.5-self', 'approve', 'mine')).rejects.toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringMatching(/two-person rule/) });
  await review(deps, rita, 'fraud', '2.0.1-unsigned', 'reject', 'unsigned');
  await expect(review(deps, { id: 'user:ray', role: 'security-reviewer' }, 'fraud', '2.0.1-unsigned', 'approve', 'x')).rejects.toMatchObject({ code: 'REGISTRY_REVIEW_INVALID' });

  // A second good version goes to production; the gateway-facing resolver and change counter follow.
  await reg('3.0.0');
  await review(deps, rita, 'fraud', '3.0.0', 'approve', 'ok');
  const before = await registryVersion(store.db);
  expect((await promote(deps, eve, 'fraud', '3.0.0', 'production')).promoted).toBe(true);
  expect(await registryVersion(store.db)).toBeGreaterThan(before);
  expect(await resolveAlias(deps, 'fraud', 'production')).toMatchObject({ version: '3.0.0', endpoint: 'http://127.0.0.1:9/3.0.0/v1' });
  expect(await changedAliases(deps, before)).toEqual([{ name: 'fraud', alias: 'production', version: '3.0.0', rootDigest: expect.any(String), endpoint: 'http://127.0.0.1:9/3.0.0/v1', seq: await registryVersion(store.db) }]);
  // Concurrent alias moves each get their own change number (PostgreSQL retries the one that collided).
  const beforeMoves = await registryVersion(store.db);
  await Promise.all(['staging', 'canary', 'shadow', 'qa'].map((a) => setAlias(deps, eve, 'fraud', '1.0.0', a, 'parallel')));
  expect(await registryVersion(store.db)).toBe(beforeMoves + 4);
  await expect(setAlias(deps, admin, 'fraud', '1.0.0', 'production', 'by hand')).rejects.toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringMatching(/protected alias/) });

  // A viewer may read but not promote, approve, or read the raw audit log.
  await expect(promote(deps, vic, 'fraud', '3.0.0', 'staging')).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  await expect(review(deps, vic, 'fraud', '3.0.0', 'approve', 'x')).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  expect(decide(vic, 'readAudit', { type: 'Audit', id: 'log' }).allowed).toBe(false);
  expect(decide(vic, 'verifyAudit', { type: 'Audit', id: 'log' }).allowed).toBe(true);

  // An incident freezes the model, rolls production back to 1.0.0 and revokes the app's key.
  const inc = await openIncident(deps, rita, 'fraud', 'drift in approvals');
  expect(inc.steps.map((s) => [s.step, s.ok])).toEqual([['freeze', true], ['rollback', true], ['revoke-key', true]]);
  expect((await resolveAlias(deps, 'fraud', 'production')).version).toBe('1.0.0');
  expect((await listApiKeys(store)).find((k) => k.id === key.record.id)?.revokedAt).toBeDefined();
  await expect(promote(deps, eve, 'fraud', '3.0.0', 'production')).rejects.toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringMatching(/frozen/) });
  await closeIncident(deps, rita, inc.id, 'fixed');
  // Nothing earlier than 1.0.0 is good: a second rollback has nowhere to go.
  await expect(rollback(deps, eve, 'fraud')).rejects.toMatchObject({ code: 'REGISTRY_ROLLBACK_IMPOSSIBLE' });

  await log.record({ type: 'gateway.request', actor: 'apikey:x', subject: 'model:fraud', data: {} });
  await log.flush();
  const types = (await modelHistory(deps, vic, 'fraud')).map((e) => e.type);
  expect(types).not.toContain('gateway.request');
  for (const t of ['model.alias_set', 'model.registered', 'model.gate_failed', 'model.promotion_blocked', 'model.approved', 'model.rejected', 'model.promoted', 'model.rolled_back']) expect(types).toContain(t);
  expect(await verifyLog(store, { origin: log.key.origin, verifier: log.key.verifier })).toMatchObject({ ok: true });
}

describe('registry flow on SQLite', () => {
  it('blocks each bad model with its reason, promotes a proper one, and rolls back in an incident', () => flow(openTestSqlite), 60_000);
});

await describeWithService('postgres', 'registry flow on PostgreSQL', () => {
  it('blocks each bad model with its reason, promotes a proper one, and rolls back in an incident', () => flow(openTestPostgres), 60_000);
});
