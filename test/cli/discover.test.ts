import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const repo = join(import.meta.dirname, '..', 'fixtures', 'discover', 'repo');

describe('palisade discover code', () => {
  it('exits 1 with findings, 0 on a clean folder, 2 on a missing one', async () => {
    const cwd = tempDir();
    const found = await run(['discover', 'code', repo, '--json'], { cwd });
    expect(found.code).toBe(1);
    expect((JSON.parse(found.stdout) as { findings: unknown[] }).findings.length).toBeGreaterThan(50);
    expect(found.stderr).toContain('skipped 1 binary file(s)');
    mkdirSync(join(cwd, 'clean'));
    writeFileSync(join(cwd, 'clean', 'main.py'), 'import requests\nprint("a mistral wind")\n');
    const clean = await run(['discover', 'code', 'clean'], { cwd });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('0 findings in 1 files');
    const missing = await run(['discover', 'code', 'nope'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('pass a folder that exists');
    expect((await run(['discover', 'code', 'clean', '--format', 'xml'], { cwd })).code).toBe(2);
  });

  it('prints SARIF 2.1.0 and records a count-only entry in the audit log when a home exists', async () => {
    const cwd = tempDir();
    expect((await run(['init'], { cwd })).code).toBe(0);
    cpSync(join(repo, 'app'), join(cwd, 'app'), { recursive: true });
    const r = await run(['discover', 'code', 'app', '--format', 'sarif'], { cwd });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { version: string }).version).toBe('2.1.0');
    const log = await run(['audit', 'search', '--type', 'discover.code', '--json'], { cwd });
    expect(log.stdout).toContain('discover.code');
    expect(log.stdout).toContain('"providers"');
    expect(log.stdout).not.toContain('T3BlbkFJ');
  });
});
