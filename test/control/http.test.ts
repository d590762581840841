import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runServe } from '../../src/cli/commands/serve.js';
import type { Env } from '../../src/cli/env.js';
import { dropSchema, openStore } from '../../src/store/index.js';
import { run } from '../support/cli.js';
import { describeWithService, SERVICE_URLS } from '../support/services.js';
import { tempDir } from '../support/tmp.js';
import { COMPLETE_CARD, dataset, modelFiles, signingKeys } from '../registry/fixtures.js';

/** `palisade serve --demo` in this process on a loopback port of the OS's choosing, over the home in `cwd`. */
async function serve(cwd: string): Promise<{ base: string; demoKey: string; stop: () => Promise<void> }> {
  let stdout = '';
  let stderr = '';
  let release: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (release = r));
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), stderrIsTTY: false, cwd };
  const done = runServe({ demo: true, listen: '127.0.0.1:0' }, io, {}, () => stopped);
  for (let i = 0; i < 400 && !/demo API key/.test(stdout); i++) {
    const failed = await Promise.race([done.then(() => true, () => true), new Promise<false>((r) => setTimeout(() => r(false), 25))]);
    if (failed) throw new Error(`serve stopped: ${stdout}${stderr}`);
  }
  const base = /listening on (http:\/\/\S+) /.exec(stdout)?.[1];
  const demoKey = /demo API key \(shown once\): (pk_\S+)/.exec(stdout)?.[1];
  if (base === undefined || demoKey === undefined) throw new Error(`serve did not start: ${stdout}${stderr}`);
  return {
    base,
    demoKey,
    stop: async () => {
      release();
      await done;
    },
  };
}

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
  headers: Headers;
}

/** One control-plane request over the socket. */
async function call(base: string, method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}/control/v1${path}`, {
    method,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
}

/**
 * The control plane end to end: a home made by init, a model registered on it from the command line, then
 * `palisade serve` on a loopback socket with users acting over HTTP and through the CLI with --server.
 */
async function overHttp(storeUrl?: string): Promise<void> {
  const d = tempDir();
  // No local admin: the server needs none (it acts for each request's user), and every CLI call here names a user.
  mkdirSync(join(d, '.palisade'), { mode: 0o700 });
  writeFileSync(join(d, '.palisade', 'config.yaml'), `version: 1\n${storeUrl === undefined ? '' : `store:\n  url: ${storeUrl}\n`}registry:\n  localAdmin: false\n`, { mode: 0o600 });
  const root = JSON.parse((await run(['init', '--json', '--admin', 'root'], { cwd: d })).stdout).admin.token as string;
  const local = (token: string, args: string[]) => run(args, { cwd: d, env: { token } });

  // A model on the local home, registered by an engineer the admin creates locally.
  const eve = JSON.parse((await local(root, ['users', 'create', 'eve', '--role', 'ml-engineer', '--json'])).stdout).token as string;
  const { privateKey, publicPem } = signingKeys();
  writeFileSync(join(d, 'release.pub'), publicPem);
  expect((await local(root, ['trust', 'add', 'release.pub', '--name', 'release'])).code).toBe(0);
  const ds = await dataset(d);
  writeFileSync(join(d, 'train.manifest.json'), ds.manifest);
  const dsr = await local(eve, ['dataset', 'register', ds.dir, '--manifest', 'train.manifest.json', '--version', 'v1', '--json']);
  expect(dsr.code, dsr.stderr).toBe(0);
  const m = await modelFiles(d, 'fraud-model', { key: privateKey, datasetDigest: JSON.parse(dsr.stdout).rootDigest });
  writeFileSync(m.signature!.path, m.signature!.text);
  writeFileSync(m.attestation!.path, m.attestation!.text);
  writeFileSync(join(d, 'card.yaml'), stringify(COMPLETE_CARD));
  const reg = await local(eve, ['model', 'register', m.dir, '--name', 'fraud', '--version', '1.0.0', '--card', 'card.yaml', '--signature', m.signature!.path, '--attestation', m.attestation!.path]);
  expect(reg.code, reg.stderr).toBe(0);
  const next = await modelFiles(d, 'fraud-model-2', { key: privateKey, datasetDigest: JSON.parse(dsr.stdout).rootDigest, sign: false });
  expect((await local(eve, ['model', 'register', next.dir, '--name', 'fraud', '--version', '1.1.0'])).code).toBe(0);

  const srv = await serve(d);
  try {
    const { base, demoKey } = srv;
    // Tokens: none, a gateway key, a malformed one: 401 with a hint; a user token is who it says.
    const anon = await call(base, 'GET', '/whoami');
    expect(anon).toMatchObject({ status: 401, body: { error: { code: 'ACCESS_TOKEN_INVALID' } } });
    expect(anon.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const pk = await call(base, 'GET', '/models', demoKey);
    expect(pk.status).toBe(401);
    expect(pk.body.error!.message).toMatch(/gateway API key \(pk_\) is valid only on the inference API/);
    expect((await call(base, 'GET', '/whoami', `pu_${'A'.repeat(43)}`)).status).toBe(401);
    expect((await call(base, 'GET', '/whoami', root)).body).toEqual({ id: 'user:root', role: 'admin' });
    // ...and a user token is no key on the inference API.
    for (const [method, path] of [['GET', '/v1/models'], ['POST', '/v1/chat/completions']] as const) {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${root}`, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }) } : {}) });
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    }
    const demo = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${demoKey}` } });
    expect(demo.status).toBe(200);

    // An admin creates users over HTTP; the audit log names the admin as actor.
    const user = async (name: string, role: string): Promise<string> => {
      const r = await call(base, 'POST', '/users', root, { name, role });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ name, role, createdBy: 'user:root', token: expect.stringMatching(/^pu_/) });
      expect(r.headers.get('cache-control')).toBe('no-store');
      return r.body.token as string;
    };
    const rita = await user('rita', 'security-reviewer');
    const vic = await user('vic', 'viewer');
    const created = await call(base, 'GET', '/audit/entries?type=user.created&subject=user:rita', root);
    expect(created.body).toMatchObject([{ actor: 'user:root', data: { role: 'security-reviewer' } }]);
    const denied = await call(base, 'POST', '/users', vic, { name: 'mallory', role: 'admin' });
    expect(denied).toMatchObject({ status: 403, body: { error: { code: 'ACCESS_DENIED', message: expect.stringMatching(/user:vic \(viewer\) may not manageUsers/) } } });

    // A viewer reads the registry, but cannot promote, approve or read the log's entries.
    expect((await call(base, 'GET', '/models', vic)).body).toMatchObject([{ name: 'fraud', version: '1.0.0', state: 'pending', aliases: [] }, { name: 'fraud', version: '1.1.0', state: 'pending', aliases: [] }]);
    const vp = await call(base, 'POST', '/models/fraud/versions/1.0.0/promote', vic, { to: 'staging' });
    expect(vp).toMatchObject({ status: 403, body: { error: { code: 'ACCESS_DENIED', message: expect.stringMatching(/may not promote/) } } });
    const va = await call(base, 'POST', '/models/fraud/versions/1.0.0/approve', vic, { comment: 'looks fine' });
    expect(va).toMatchObject({ status: 403, body: { error: { code: 'ACCESS_DENIED', message: expect.stringMatching(/only a security-reviewer may approve/) } } });
    // Each refusal is recorded, newest first: who tried what on which resource, in which role, and what decided.
    const refusals = await call(base, 'GET', '/audit/entries?type=access.denied', root);
    expect(refusals.body).toMatchObject([
      { actor: 'user:vic', subject: 'model:fraud@1.0.0', data: { operation: 'POST /models/:name/versions/:version/approve', action: 'approve', role: 'viewer', policies: ['only-reviewers-approve'] } },
      { actor: 'user:vic', subject: 'alias:fraud@staging', data: { operation: 'POST /models/:name/versions/:version/promote', action: 'promote', role: 'viewer', policies: [] } },
      { actor: 'user:vic', subject: 'user:mallory', data: { operation: 'POST /users', action: 'manageUsers', role: 'viewer', policies: [] } },
    ]);
    expect(refusals.body).toHaveLength(3);
    for (const path of ['/audit/tail', '/audit/entries?type=model.registered', '/apikeys']) expect((await call(base, 'GET', path, vic)).status, path).toBe(403);
    const proofForViewer = await call(base, 'GET', '/audit/proof?index=0', vic);
    expect(proofForViewer.status).toBe(200);
    expect(proofForViewer.body).toMatchObject({ index: 0, leafHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(proofForViewer.body.entry).toBeUndefined();
    expect(JSON.parse((await call(base, 'GET', '/audit/proof?index=0', rita)).body.entry as string)).toMatchObject({ type: 'user.created', subject: 'user:root' });

    // The gates block without a review; a security reviewer approves over HTTP; the engineer then promotes.
    const blocked = await call(base, 'POST', '/models/fraud/versions/1.0.0/promote', eve, { to: 'production' });
    expect(blocked).toMatchObject({ status: 200, body: { promoted: false, gates: expect.arrayContaining([expect.objectContaining({ gate: 'approvals', ok: false })]) } });
    const approved = await call(base, 'POST', '/models/fraud/versions/1.0.0/approve', rita, { comment: 'reviewed the card and the scan' });
    expect(approved).toMatchObject({ status: 200, body: { decision: 'approve', state: 'approved' } });

    // The CLI with --server: the same output and exit codes as on the local home.
    const remote = (token: string, args: string[]) => run([...args, '--server', base], { cwd: tempDir(), env: { token } });
    const promoted = await remote(eve, ['model', 'promote', 'fraud@1.0.0', '--to', 'production', '--reason', 'first release']);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toMatch(/^PROMOTED fraud@1\.0\.0 to production\n {2}PASS scan/);
    for (const args of [['model', 'card', 'fraud@1.0.0', '--export', 'huggingface'], ['trust', 'list', '--json'], ['model', 'list', '--json'], ['model', 'show', 'fraud@production'], ['model', 'history', 'fraud', '--json'], ['audit', 'tail', '-n', '5'], ['dataset', 'list'], ['users', 'list', '--json']]) {
      const [here, there] = [await local(root, args), await remote(root, args)];
      expect(there, args.join(' ')).toEqual(here);
    }
    expect((await remote(vic, ['model', 'approve', 'fraud@1.0.0', '--comment', 'x'])).code).toBe(2);
    const approvedRemotely = await remote(rita, ['model', 'approve', 'fraud@1.1.0', '--comment', 'reviewed', '--json']);
    expect(approvedRemotely.code, approvedRemotely.stderr).toBe(0);
    expect(JSON.parse(approvedRemotely.stdout)).toEqual({ name: 'fraud', version: '1.1.0', decision: 'approve', state: 'approved' });
    expect((await remote(rita, ['model', 'reject', 'fraud@1.1.0', '--comment', 'again'])).stderr).toMatch(/user:rita already reviewed fraud@1\.1\.0/);
    const tail = await remote(vic, ['audit', 'tail']);
    expect(tail.code).toBe(2);
    expect(tail.stderr).toMatch(/^palisade: user:vic \(viewer\) may not readAudit/);
    const wrongKind = await remote(demoKey, ['model', 'list']);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toMatch(/valid only on the inference API/);

    const key = await remote(root, ['apikeys', 'create', '--name', 'ci', '--models', 'demo', '--rpm', '60']);
    expect(key.code, key.stderr).toBe(0);
    expect(key.stdout).toMatch(/^pk_\S{43}\n$/);
    expect(key.stderr).toMatch(/shown only now/);
    const keys = JSON.parse((await remote(rita, ['apikeys', 'list', '--json'])).stdout) as { id: string; name: string }[];
    const ci = keys.find((k) => k.name === 'ci')!;
    expect(JSON.stringify(keys)).not.toContain(key.stdout.trim());
    expect((await remote(rita, ['apikeys', 'revoke', ci.id])).code).toBe(2);
    expect((await remote(root, ['apikeys', 'revoke', ci.id])).stdout).toMatch(new RegExp(`^revoked ${ci.id}  ci .*REVOKED`));

    const inc = await remote(rita, ['incident', 'open', '--model', 'fraud', '--reason', 'suspicious outputs']);
    expect(inc.code).toBe(1);
    expect(inc.stdout).toMatch(/done freeze model:fraud[\s\S]*FAILED rollback fraud@production: no earlier good version/);
    const incidents = JSON.parse((await remote(vic, ['incident', 'list', '--json'])).stdout) as { id: string }[];
    expect((await remote(rita, ['incident', 'close', incidents[0]!.id, '--comment', 'false alarm'])).code).toBe(0);

    // Recording: as oneself, or on behalf of another actor (admins only, who stay on record).
    expect(await call(base, 'POST', '/audit/entries', eve, { type: 'audit.note', subject: 'model:fraud', data: { text: 'retrained' } })).toMatchObject({ status: 200, body: { index: expect.any(Number) } });
    expect((await call(base, 'POST', '/audit/entries', eve, { type: 'audit.note', subject: 'model:fraud', actor: 'os:ci' })).status).toBe(403);
    expect((await call(base, 'POST', '/audit/entries', root, { type: 'audit.note', subject: 'model:fraud', actor: 'os:ci', data: { text: 'backfill' } })).status).toBe(200);
    const notes = (await call(base, 'GET', '/audit/entries?type=audit.note', root)).body as unknown as { actor: string; data: Record<string, unknown> }[];
    expect(notes).toMatchObject([{ actor: 'os:ci', data: { text: 'backfill', recordedBy: 'user:root' } }, { actor: 'user:eve', data: { text: 'retrained' } }]);

    // Every action above is in the log with the user who did it, and the log verifies.
    const log = JSON.parse((await local(root, ['audit', 'search', '--subject', 'model:fraud', '--json'])).stdout) as { type: string; actor: string }[];
    expect(log.find((e) => e.type === 'model.approved')?.actor).toBe('user:rita');
    expect(log.find((e) => e.type === 'model.promoted')?.actor).toBe('user:eve');
    const revoked = JSON.parse((await local(root, ['audit', 'search', '--type', 'apikey.revoked', '--json'])).stdout) as { actor: string }[];
    expect(revoked).toMatchObject([{ actor: 'user:root' }]);
    expect((await local(root, ['audit', 'verify'])).code).toBe(0);

    // Bad requests: named problems in the one error shape.
    expect(await call(base, 'POST', '/models/fraud/versions/1.0.0/promote', eve, {})).toMatchObject({ status: 400, body: { error: { code: 'CONTROL_REQUEST_INVALID', message: expect.stringMatching(/^to:/) } } });
    expect(await call(base, 'POST', '/incidents', rita, { model: 'fraud', reason: 'x', extra: 1 })).toMatchObject({ status: 400, body: { error: { code: 'CONTROL_REQUEST_INVALID' } } });
    expect(await call(base, 'POST', '/incidents', rita, '{not json')).toMatchObject({ status: 400, body: { error: { code: 'CONTROL_REQUEST_INVALID' } } });
    expect(await call(base, 'POST', '/trust', root, { name: 'big', pem: 'x'.repeat(300 * 1024) })).toMatchObject({ status: 413, body: { error: { code: 'CONTROL_REQUEST_TOO_LARGE' } } });
    expect(await call(base, 'GET', '/models/fraud/versions/9.9.9', vic)).toMatchObject({ status: 404, body: { error: { code: 'REGISTRY_VERSION_NOT_FOUND' } } });
    expect(await call(base, 'GET', '/nothing-here', vic)).toMatchObject({ status: 404, body: { error: { code: 'CONTROL_NOT_FOUND' } } });
  } finally {
    await srv.stop();
  }
}

describe('the control plane over HTTP', () => {
  it('serves the registry, users, keys, incidents and audit reads to user tokens on SQLite', () => overHttp(), 90_000);

  it('refuses what has no server form, a bad server URL and a missing token, with exit code 2', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'm.bin'), 'x');
    const env: Env = { server: 'http://127.0.0.1:9', token: `pu_${'A'.repeat(43)}` };
    const reg = await run(['model', 'register', 'm.bin', '--name', 'm', '--version', '1'], { cwd: d, env });
    expect(reg.code).toBe(2);
    expect(reg.stderr).toMatch(/model register runs on a local home only, and PALISADE_SERVER is set/);
    expect((await run(['audit', 'verify'], { cwd: d, env })).stderr).toMatch(/audit verify runs on a local home only/);
    expect((await run(['model', 'list', '--server', 'ftp://x'], { cwd: d, env })).stderr).toMatch(/http:\/\/ or https:\/\//);
    expect((await run(['model', 'list', '--server', 'https://u:p@x.example'], { cwd: d, env })).stderr).toMatch(/must not carry credentials/);
    expect((await run(['model', 'list', '--store', 'x.db'], { cwd: d, env })).stderr).toMatch(/--store and --config choose a local home/);
    const noToken = await run(['model', 'list', '--server', 'http://127.0.0.1:9'], { cwd: d });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/a server needs a user token: set PALISADE_TOKEN/);
    const down = await run(['model', 'list'], { cwd: d, env });
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach the control plane at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('control-plane operations on a local home', () => {
  it('asks for webhook secrets only for actions that may send webhooks', async () => {
    const d = tempDir();
    await run(['init'], { cwd: d });
    appendFileSync(join(d, '.palisade', 'config.yaml'), 'registry:\n  webhooks:\n    - url: http://127.0.0.1:9/hooks\n      secretEnv: HOOK_SECRET\n');
    for (const args of [['audit', 'tail'], ['users', 'list'], ['apikeys', 'list'], ['model', 'list'], ['incident', 'list']]) expect((await run(args, { cwd: d })).code, args.join(' ')).toBe(0);
    for (const args of [['model', 'promote', 'm@1', '--to', 'staging'], ['model', 'rollback', 'm'], ['incident', 'open', '--model', 'm', '--reason', 'x']]) {
      const r = await run(args, { cwd: d });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/secretEnv HOOK_SECRET, which is not set/);
    }
  });
});

await describeWithService('postgres', 'the control plane over HTTP on PostgreSQL', () => {
  it('serves the same to user tokens on PostgreSQL', async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const made = await openStore({ url: SERVICE_URLS.postgres, schema });
    try {
      const u = new URL(SERVICE_URLS.postgres);
      u.searchParams.set('options', `-c search_path=${schema}`);
      await overHttp(u.toString());
    } finally {
      await dropSchema(made, schema);
      await made.close();
    }
  }, 90_000);
});
