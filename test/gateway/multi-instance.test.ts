import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { RedisLimiter, startDemoUpstream } from '../../src/gateway/index.js';
import { DEMO } from '../../src/cli/commands/serve.js';
import { run } from '../support/cli.js';
import { describeWithService, SERVICE_URLS } from '../support/services.js';
import { tempDir } from '../support/tmp.js';
import { chat, startGateway, within, type Harness } from './support.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'palisade.js');
const children: ChildProcess[] = [];
let h: Harness | undefined;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await h?.close();
  h = undefined;
});

/** Starts `palisade serve` in a child process and resolves with its base URL once it listens. */
function serve(cwd: string, args: string[] = [], ready = /listening on (http:\/\/\S+) /): Promise<{ base: string; child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', ...args], { cwd, env: { ...process.env, PALISADE_HOME: join(cwd, '.palisade') }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+) /.exec(out);
      if (m !== null && ready.test(out)) {
        clearTimeout(t);
        resolve({ base: m[1]!, child, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

const post = (base: string, key: string, body: unknown): Promise<Response> => fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });

it('palisade serve --demo creates the home, prints a key that works, and drains on SIGTERM', async () => {
  const d = tempDir();
  const { base, child, output } = await serve(d, ['--demo'], /palisade audit verify/);
  const key = /demo API key \(shown once\): (pk_\S+)/.exec(output())?.[1];
  expect(key).toBeDefined();
  const r = await post(base, key!, { model: 'demo', messages: [{ role: 'user', content: 'Hello' }] });
  expect(r.status).toBe(200);
  // The printed examples do what the demo says they do.
  const inject = await post(base, key!, JSON.parse(DEMO.inject));
  expect(inject.status).toBe(400);
  expect(await inject.json()).toMatchObject({ error: { code: 'guardrail_blocked' } });
  const redact = await post(base, key!, JSON.parse(DEMO.redact));
  expect(await redact.json()).toMatchObject({ choices: [{ message: { content: 'Done: the notes went to jane.doe@example.com.' } }] });
  const leak = await post(base, key!, JSON.parse(DEMO.leak));
  expect(await leak.json()).toMatchObject({ choices: [{ finish_reason: 'content_filter' }], palisade_guardrail: { guard: 'canary-token' } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const v = await run(['audit', 'verify', '--json'], { cwd: d, env: { home: join(d, '.palisade') } });
  expect(JSON.parse(v.stdout)).toMatchObject({ ok: true });
  const tail = JSON.parse((await run(['audit', 'search', '--type', 'gateway.request', '--json'], { cwd: d, env: { home: join(d, '.palisade') } })).stdout);
  expect(tail.map((e: { subject: string; data: { status: number } }) => `${e.subject} ${e.data.status}`).reverse()).toEqual(['model:demo 200', 'model:demo 400', 'model:demo 200', 'model:demo 200']);
});

it('with audit: required, kill -9 during load loses no request the gateway answered', async () => {
  const d = tempDir();
  await run(['init'], { cwd: d });
  const upstream = await startDemoUpstream();
  const home = join(d, '.palisade');
  writeFileSync(join(home, 'config.yaml'), `version: 1\nmodels:\n  chat: { upstream: "${upstream.url}" }\ngateway: { audit: required }\n`);
  const key = JSON.parse((await run(['apikeys', 'create', '--name', 'load', '--models', 'chat', '--json'], { cwd: d })).stdout).key as string;
  const { base, child } = await serve(d);
  const confirmed: string[] = [];
  let n = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const prompt = `request number ${n++} at ${Date.now()}`;
      try {
        const r = await post(base, key, chat(prompt));
        if (r.status === 200) confirmed.push(prompt);
        await r.text();
      } catch {
        return; // the gateway is gone
      }
      if (confirmed.length >= 150 && !stop) {
        stop = true;
        child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await upstream.close();
  const { keyedDigest, loadHomeKeys, openStore, searchEntries } = await import('../../src/index.js');
  const secret = loadHomeKeys(home).digestSecret;
  const store = await openStore({ url: join(home, 'palisade.db') });
  const recorded = new Set((await searchEntries(store, { type: 'gateway.request', limit: 100_000 })).map((e) => (e.data as { promptDigest?: string }).promptDigest));
  await store.close();
  for (const p of confirmed) expect(recorded.has(keyedDigest(secret, p)), `answered request '${p}' has no audit entry`).toBe(true);
  const v = await run(['audit', 'verify', '--json'], { cwd: d });
  expect(JSON.parse(v.stdout)).toMatchObject({ ok: true });
});

it('refuses a config with an unknown guard or no models, naming the problem (exit 2)', async () => {
  const d = tempDir();
  await run(['init'], { cwd: d });
  writeFileSync(join(d, '.palisade', 'config.yaml'), 'version: 1\nmodels: {}\n');
  const none = await run(['serve'], { cwd: d });
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/names no models/);
  writeFileSync(join(d, '.palisade', 'config.yaml'), 'version: 1\nmodels:\n  chat: { upstream: "http://127.0.0.1:1/v1" }\nguards: { input: [telepathy] }\n');
  const unknown = await run(['serve'], { cwd: d });
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/unknown guard 'telepathy'/);
  writeFileSync(join(d, '.palisade', 'config.yaml'), 'version: 1\nmodels:\n  chat: { upstrem: "http://127.0.0.1:1/v1" }\n');
  const typo = await run(['serve'], { cwd: d });
  expect(typo.code).toBe(2);
  expect(typo.stderr).toMatch(/upstrem/);
});

await describeWithService('redis', 'gateway limits across instances (Redis)', () => {
  it('never lets several gateway processes together exceed one key’s limit', async () => {
    const d = tempDir();
    await run(['init'], { cwd: d });
    const upstream = await startDemoUpstream();
    writeFileSync(
      join(d, '.palisade', 'config.yaml'),
      `version: 1\nmodels:\n  chat: { upstream: "${upstream.url}" }\nlimits:\n  default: { rpm: 10 }\n  redis: "${SERVICE_URLS.redis}"\n`,
    );
    const created = await run(['apikeys', 'create', '--name', 'multi', '--models', 'chat', '--json'], { cwd: d });
    const key = JSON.parse(created.stdout).key as string;
    const gateways = await Promise.all([serve(d), serve(d), serve(d)]);
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => post(gateways[i % 3]!.base, key, chat()).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    await upstream.close();
  });

  it('fails closed when Redis is unreachable, or open when the config says so', async () => {
    for (const [onRedisFailure, status] of [['closed', 503], ['open', 200]] as const) {
      h = await startGateway((u) => ({ models: { chat: { upstream: u.upstream } }, limits: { default: { rpm: 5 }, onRedisFailure } }), { limiter: new RedisLimiter({ url: 'redis://127.0.0.1:1', timeoutMs: 100 }) });
      const key = await h.key();
      const r = await h.post('/v1/chat/completions', key, chat());
      expect(r.status, onRedisFailure).toBe(status);
      if (status === 503) expect(await r.json()).toMatchObject({ error: { code: 'rate_limiter_unavailable' } });
      await h.close();
      h = undefined;
    }
  });

  it('shares token buckets between limiters on one Redis and settles reservations', async () => {
    const prefix = `palisade-test-${randomBytes(4).toString('hex')}:`;
    const a = new RedisLimiter({ url: SERVICE_URLS.redis, prefix });
    const b = new RedisLimiter({ url: SERVICE_URLS.redis, prefix });
    await Promise.all([a.ready(), b.ready()]);
    const check = [{ scope: 'key:k', tpm: 1000 }];
    const r1 = await a.reserve(check, 600);
    expect(r1.ok).toBe(true);
    expect((await b.reserve(check, 600)).ok).toBe(false);
    if (r1.ok) await r1.release(100); // used 100 of the 600 reserved: 500 come back
    expect((await b.reserve(check, 600)).ok).toBe(true);
    await a.close();
    await b.close();
  });
});

it('palisade serve follows a registry alias: promote and palisade model rollback reach the running process', async () => {
  const d = tempDir();
  await run(['init'], { cwd: d });
  const servers = [await startDemoUpstream({ name: 'v1' }), await startDemoUpstream({ name: 'v2' })];
  try {
    writeFileSync(join(d, '.palisade', 'config.yaml'), 'version: 1\nmodels:\n  fraud: { registry: fraud, alias: production }\nregistry: { gates: { "*": [scan] }, approvals: 0 }\n');
    for (const [i, s] of servers.entries()) {
      const dir = join(d, `model-${i + 1}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'config.json'), '{}');
      const reg = await run(['model', 'register', dir, '--name', 'fraud', '--version', `${i + 1}.0.0`, '--endpoint', s.url], { cwd: d });
      expect(reg.code, reg.stderr).toBe(0);
    }
    expect((await run(['model', 'promote', 'fraud@1.0.0', '--to', 'production'], { cwd: d })).code).toBe(0);
    const key = JSON.parse((await run(['apikeys', 'create', '--name', 'app', '--models', 'fraud', '--json'], { cwd: d })).stdout).key as string;
    const { base } = await serve(d);
    const served = async (): Promise<string> => {
      const r = await post(base, key, { model: 'fraud', messages: [{ role: 'user', content: 'hi' }] });
      return /\((v\d)\)/.exec(((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content)?.[1] ?? `status ${r.status}`;
    };
    // The design promises every instance follows within 2 s: poll for at most that long.
    const within2s = (want: string): Promise<string> => within(2000, want, served);
    expect(await served()).toBe('v1');
    const promoted = await run(['model', 'promote', 'fraud@2.0.0', '--to', 'production'], { cwd: d });
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(await within2s('v2')).toBe('v2');
    const back = await run(['model', 'rollback', 'fraud', '--reason', 'errors in 2.0.0'], { cwd: d });
    expect(back.code, back.stderr).toBe(0);
    expect(await within2s('v1')).toBe('v1');
  } finally {
    for (const s of servers) await s.close();
  }
}, 60_000);
