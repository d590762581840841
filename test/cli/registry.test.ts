import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cyclonedxProblem, verifyWebhook } from '../../src/registry/index.js';
import { dropSchema, openStore } from '../../src/store/index.js';
import { run } from '../support/cli.js';
import { describeWithService, SERVICE_URLS } from '../support/services.js';
import { tempDir } from '../support/tmp.js';
import { COMPLETE_CARD, dataset, modelFiles, signingKeys } from '../registry/fixtures.js';

/**
 * The governed path from the command line, acting as the user whose token is given; on the home's SQLite file,
 * or on the PostgreSQL schema `storeUrl` points at (written into the config before init).
 */
async function governedPath(storeUrl?: string): Promise<void> {
  const d = tempDir();
  if (storeUrl !== undefined) {
    mkdirSync(join(d, '.palisade'), { mode: 0o700 });
    writeFileSync(join(d, '.palisade', 'config.yaml'), `version: 1\nstore:\n  url: ${storeUrl}\n`, { mode: 0o600 });
  }
  const init = JSON.parse((await run(['init', '--json', '--admin', 'root'], { cwd: d })).stdout);
  expect(init.admin).toMatchObject({ name: 'root', token: expect.stringMatching(/^pu_/) });
  expect(JSON.parse((await run(['init', '--json'], { cwd: d })).stdout).admin).toBeUndefined();
  const as = (token: string) => ({ cwd: d, env: { token } });
  const root = as(init.admin.token);
  // The first admin is the log's first entry, recorded by the OS user who ran init (and only once).
  const created = JSON.parse((await run(['audit', 'search', '--type', 'user.created', '--json'], root)).stdout);
  expect(created).toEqual([expect.objectContaining({ index: 0, actor: expect.stringMatching(/^os:/), subject: 'user:root', data: { role: 'admin', kind: 'user', first: true } })]);
  const user = async (name: string, role: string): Promise<string> => {
    const r = await run(['users', 'create', name, '--role', role, '--json'], root);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout).token as string;
  };
  const eve = as(await user('eve', 'ml-engineer'));
  const rita = as(await user('rita', 'security-reviewer'));
  const vic = as(await user('vic', 'viewer'));

  const { privateKey, publicPem } = signingKeys();
  writeFileSync(join(d, 'release.pub'), publicPem);
  expect((await run(['trust', 'add', 'release.pub', '--name', 'release'], eve)).code).toBe(2);
  expect((await run(['trust', 'add', 'release.pub', '--name', 'release'], root)).stdout).toMatch(/trusted key release/);
  const ds = await dataset(d);
  writeFileSync(join(d, 'transactions.manifest.json'), ds.manifest);
  const dsr = await run(['dataset', 'register', ds.dir, '--manifest', 'transactions.manifest.json', '--version', 'v1', '--copy', '--json'], eve);
  expect(dsr.code, dsr.stderr).toBe(0);
  const m = await modelFiles(d, 'fraud-model', { key: privateKey, datasetDigest: JSON.parse(dsr.stdout).rootDigest });
  writeFileSync(m.signature!.path, m.signature!.text);
  writeFileSync(m.attestation!.path, m.attestation!.text);
  writeFileSync(join(d, 'card.yaml'), stringify(COMPLETE_CARD));
  const reg = await run(['model', 'register', m.dir, '--name', 'fraud', '--version', '1.0.0', '--card', 'card.yaml', '--signature', m.signature!.path, '--attestation', m.attestation!.path, '--endpoint', 'http://127.0.0.1:9/v1', '--copy'], eve);
  expect(reg.code, reg.stderr).toBe(0);
  expect(reg.stdout).toMatch(/scan: safe[\s\S]*signature: verified by release[\s\S]*attestation: verified[\s\S]*card: complete/);
  expect(existsSync(join(d, '.palisade', 'registry', 'objects'))).toBe(true);

  const blocked = await run(['model', 'promote', 'fraud@1.0.0', '--to', 'production'], eve);
  expect(blocked.code).toBe(1);
  expect(blocked.stdout).toMatch(/^BLOCKED fraud@1\.0\.0 -> production: approvals failed\n {2}PASS scan/);
  const self = await run(['model', 'approve', 'fraud@1.0.0', '--comment', 'mine'], eve);
  expect(self.code).toBe(2);
  expect(self.stderr).toMatch(/user:eve \(ml-engineer\) may not approve/);
  expect((await run(['model', 'approve', 'fraud@1.0.0', '--comment', 'reviewed'], rita)).code).toBe(0);
  const ok = await run(['model', 'promote', 'fraud@1.0.0', '--to', 'production', '--reason', 'first release'], eve);
  expect(ok.code, ok.stdout).toBe(0);
  expect(ok.stdout).toMatch(/^PROMOTED fraud@1\.0\.0 to production/);
  expect(JSON.parse((await run(['model', 'resolve', 'fraud@production', '--json'], vic)).stdout)).toMatchObject({ version: '1.0.0', endpoint: 'http://127.0.0.1:9/v1' });

  const hand = await run(['model', 'alias', 'fraud@1.0.0', '--to', 'production', '--reason', 'skip the gates'], root);
  expect(hand.code).toBe(2);
  expect(hand.stderr).toMatch(/a protected alias moves only through promote/);
  expect((await run(['model', 'alias', 'fraud@1.0.0', '--to', 'canary', '--reason', 'try it'], eve)).stdout).toMatch(/fraud@canary -> 1\.0\.0/);
  const bom = await run(['model', 'card', 'fraud@1.0.0', '--export', 'cyclonedx'], vic);
  expect(bom.code, bom.stderr).toBe(0);
  expect(cyclonedxProblem(JSON.parse(bom.stdout))).toBeUndefined();
  expect(JSON.parse((await run(['model', 'card', '--schema'], { cwd: d })).stdout).title).toBe('Palisade model card');
  expect((await run(['model', 'card', 'fraud@1.0.0', '--export', 'huggingface'], vic)).stdout).toMatch(/^---\nlicense: apache-2.0/);

  // A viewer reads the registry and verifies the log, but cannot promote, approve or read raw audit entries.
  for (const args of [['model', 'promote', 'fraud@1.0.0', '--to', 'staging'], ['model', 'approve', 'fraud@1.0.0', '--comment', 'x'], ['audit', 'search', '--json'], ['audit', 'tail'], ['apikeys', 'list']]) {
    const r = await run(args, vic);
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr).toMatch(/user:vic \(viewer\) may not/);
  }
  expect((await run(['audit', 'verify'], vic)).code).toBe(0);
  // On behalf of: admin only, and the admin stays on record.
  expect((await run(['audit', 'record', '--type', 'audit.note', '--subject', 'model:fraud', '--actor', 'os:ci'], eve)).code).toBe(2);
  expect((await run(['audit', 'record', '--type', 'audit.note', '--subject', 'model:fraud', '--actor', 'os:ci', '--data', '{"text":"backfill"}'], root)).code).toBe(0);

  const inc = await run(['incident', 'open', '--model', 'fraud', '--reason', 'suspicious outputs'], rita);
  expect(inc.code).toBe(1);
  expect(inc.stdout).toMatch(/done freeze model:fraud[\s\S]*FAILED rollback fraud@production: no earlier good version than 1\.0\.0/);
  const frozen = await run(['model', 'promote', 'fraud@1.0.0', '--to', 'staging'], eve);
  expect(frozen.stderr).toMatch(/frozen by an open incident/);
  const incidents = JSON.parse((await run(['incident', 'list', '--json'], vic)).stdout) as { id: string; closedAt?: string }[];
  expect(incidents).toHaveLength(1);
  expect((await run(['incident', 'close', incidents[0]!.id, '--comment', 'false alarm'], rita)).code).toBe(0);
  expect((await run(['incident', 'close', incidents[0]!.id], rita)).stderr).toMatch(/was closed at/);
  expect((await run(['model', 'alias', 'fraud@1.0.0', '--to', 'staging', '--reason', 'after the incident'], eve)).code).toBe(0);

  const history = JSON.parse((await run(['model', 'history', 'fraud', '--json'], vic)).stdout) as { type: string; actor: string; data: Record<string, unknown> }[];
  expect(history.find((e) => e.type === 'model.promoted')).toMatchObject({ actor: 'user:eve', data: { version: '1.0.0', alias: 'production', reason: 'first release' } });
  expect(history.find((e) => e.type === 'audit.note')).toMatchObject({ actor: 'os:ci', data: { recordedBy: 'user:root' } });
  expect(history.find((e) => e.type === 'model.approved')).toMatchObject({ actor: 'user:rita' });
  const search = JSON.parse((await run(['audit', 'search', '--subject', 'model:fraud', '--json'], rita)).stdout) as { type: string }[];
  expect(search.some((e) => e.type === 'model.gate_failed')).toBe(true);
  expect((await run(['audit', 'verify'], root)).code).toBe(0);
  expect(existsSync(join(d, '.palisade', 'palisade.db'))).toBe(storeUrl === undefined);
}

describe('palisade model, dataset, trust, users, incident', () => {
  it('runs the governed path from the command line on SQLite', () => governedPath(), 60_000);

  it('refuses a bad token, and requires one when the config turns local admin off', async () => {
    const d = tempDir();
    await run(['init'], { cwd: d });
    const bad = await run(['model', 'list'], { cwd: d, env: { token: 'pu_nope' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/PALISADE_TOKEN is not a valid token/);
    expect((await run(['model', 'list'], { cwd: d })).code).toBe(0);
    appendFileSync(join(d, '.palisade', 'config.yaml'), 'registry:\n  localAdmin: false\n');
    const none = await run(['model', 'list'], { cwd: d });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/requires a user token/);
    // init stays re-runnable on such a home: it needs no principal.
    expect((await run(['init'], { cwd: d })).code).toBe(0);
  });

  it('exits 2 naming bad references, cards and gates', async () => {
    const d = tempDir();
    await run(['init'], { cwd: d });
    expect((await run(['model', 'promote', 'fraud', '--to', 'production'], { cwd: d })).stderr).toMatch(/not NAME@VERSION/);
    expect((await run(['model', 'show', 'nope@1'], { cwd: d })).stderr).toMatch(/neither an alias nor a registered version/);
    writeFileSync(join(d, 'card.yaml'), 'metrics: nope\n');
    writeFileSync(join(d, 'm.bin'), 'x');
    const r = await run(['model', 'register', 'm.bin', '--name', 'm', '--version', '1', '--card', 'card.yaml'], { cwd: d });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'metrics' is wrong/);
    expect((await run(['model', 'register', 'm.bin', '--name', 'm', '--version', '1'], { cwd: d })).code).toBe(0);
    expect((await run(['model', 'register', 'm.bin', '--name', 'm', '--version', '1'], { cwd: d })).stderr).toMatch(/already registered/);
    appendFileSync(join(d, '.palisade', 'config.yaml'), 'registry:\n  gates:\n    production: [scan, clean-data]\n');
    expect((await run(['model', 'promote', 'm@1', '--to', 'production'], { cwd: d })).stderr).toMatch(/gate 'clean-data', which no layer provides/);
  });

  it('sends registry events to the configured webhooks, signed with the secret from the environment', async () => {
    const d = tempDir();
    await run(['init'], { cwd: d });
    const got: { headers: Record<string, string>; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        got.push({ headers: req.headers as Record<string, string>, body });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
      appendFileSync(join(d, '.palisade', 'config.yaml'), `registry:\n  webhooks:\n    - url: ${url}\n      secretEnv: HOOK_SECRET\n      events: [model.registered]\n`);
      writeFileSync(join(d, 'm.bin'), 'weights');
      const secret = `whsec_${Buffer.from('loopback secret').toString('base64')}`;
      const missing = await run(['model', 'register', 'm.bin', '--name', 'm', '--version', '1'], { cwd: d });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/secretEnv HOOK_SECRET, which is not set/);
      const r = await run(['model', 'register', 'm.bin', '--name', 'm', '--version', '1'], { cwd: d, env: { secret: (n) => (n === 'HOOK_SECRET' ? secret : undefined) } });
      expect(r.code, r.stderr).toBe(0);
      expect(got).toHaveLength(1);
      expect(JSON.parse(got[0]!.body)).toMatchObject({ type: 'model.registered', data: { subject: 'model:m', version: '1' } });
      expect(verifyWebhook(secret, got[0]!.headers, got[0]!.body, new Date())).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

await describeWithService('postgres', 'palisade model … on PostgreSQL', () => {
  it('runs the governed path from the command line on PostgreSQL', async () => {
    // A schema of its own, made (and migrated) first; the CLI reaches it through the URL's search_path.
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const made = await openStore({ url: SERVICE_URLS.postgres, schema });
    try {
      const u = new URL(SERVICE_URLS.postgres);
      u.searchParams.set('options', `-c search_path=${schema}`);
      await governedPath(u.toString());
    } finally {
      await dropSchema(made, schema);
      await made.close();
    }
  }, 60_000);
});
