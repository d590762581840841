import { describe, expect, it } from 'vitest';
import { run } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('palisade apikeys', () => {
  it('creates a key shown once, lists keys without it, revokes by id, and records each in the audit log', async () => {
    const d = tempDir();
    expect((await run(['init'], { cwd: d })).code).toBe(0);
    const c = await run(['apikeys', 'create', '--name', 'ci bot', '--models', 'chat,embed', '--rpm', '60', '--expires', '2099-01-31', '--json'], { cwd: d });
    expect(c.code, c.stderr).toBe(0);
    const created = JSON.parse(c.stdout);
    expect(created).toMatchObject({ key: expect.stringMatching(/^pk_[A-Za-z0-9_-]{43}$/), id: expect.stringMatching(/^[0-9a-f]{12}$/), name: 'ci bot', models: ['chat', 'embed'], rpm: 60, expiresAt: '2099-01-31T23:59:59.999Z' });
    const plain = await run(['apikeys', 'create', '--name', 'second', '--models', 'chat'], { cwd: d });
    expect(plain.stdout.trim()).toMatch(/^pk_\S{43}$/);
    expect(plain.stderr).toMatch(/shown only now/);
    const list = await run(['apikeys', 'list', '--json'], { cwd: d });
    expect(list.stdout).not.toContain(created.key);
    expect(JSON.parse(list.stdout).map((k: { name: string }) => k.name)).toEqual(['ci bot', 'second']);
    const r = await run(['apikeys', 'revoke', created.id, '--json'], { cwd: d });
    expect(JSON.parse(r.stdout)).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    const log = JSON.parse((await run(['audit', 'search', '--subject', `apikey:${created.id}`, '--json'], { cwd: d })).stdout);
    expect(log.map((e: { type: string }) => e.type)).toEqual(['apikey.revoked', 'apikey.created']);
    expect(JSON.stringify(log)).not.toContain(created.key);
  });

  it('exits 2 naming the bad flag', async () => {
    const d = tempDir();
    await run(['init'], { cwd: d });
    for (const [args, msg] of [
      [['--name', 'x', '--models', 'chat', '--rpm', '0'], /--rpm must be a positive whole number/],
      [['--name', 'x', '--models', 'chat', '--expires', 'soon'], /--expires must be a date/],
      [['--name', 'x', '--models', 'chat', '--expires', '2001-01-01'], /date in the future/],
      [['--name', 'x', '--models', ','], /at least one model/],
    ] as const) {
      const r = await run(['apikeys', 'create', ...args], { cwd: d });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    const missing = await run(['apikeys', 'revoke', 'nope'], { cwd: d });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no API key has id 'nope'/);
  });
});
