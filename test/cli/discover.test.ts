import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'discover');
const repo = join(fixtures, 'repo');

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

describe('palisade discover egress', () => {
  const squid = join(fixtures, 'squid-access.log');

  it('exits 1 on unapproved AI traffic, prints flows as JSON, and notes malformed lines', async () => {
    const cwd = tempDir();
    const r = await run(['discover', 'egress', squid, '--approved', join(fixtures, 'approved.yaml'), '--json'], { cwd });
    expect(r.code).toBe(1);
    const flows = (JSON.parse(r.stdout) as { flows: { client: string; domain: string; provider: string; requests: number; bytes: number; approved: boolean }[] }).flows;
    expect(flows.find((f) => f.client === '10.2.0.7' && f.domain === 'api.anthropic.com')).toMatchObject({ provider: 'anthropic', requests: 3, approved: true });
    expect(flows.find((f) => f.domain === '10.0.0.50:11434')).toMatchObject({ provider: 'local' });
    expect(r.stderr).toContain('1 of 33 lines did not parse');
    const text = await run(['discover', 'egress', squid, '--format', 'squid'], { cwd });
    expect(text.stdout).toMatch(/UNAPPROVED\s+10\.4\.0\.1\s+openrouter\.ai/);
  });

  it('exits 0 when approvals (from the config\'s discover.approved) cover every AI flow, and records the result', async () => {
    const cwd = tempDir();
    expect((await run(['init'], { cwd })).code).toBe(0);
    const log = join(cwd, 'a.log');
    writeFileSync(log, '1780000000.000 5 10.9.0.1 TCP_TUNNEL/200 900 CONNECT api.mistral.ai:443 - HIER_DIRECT/x -\n1780000001.000 5 10.9.0.1 TCP_TUNNEL/200 900 CONNECT www.example.com:443 - HIER_DIRECT/x -\n');
    const config = join(cwd, 'c.yaml');
    writeFileSync(config, 'version: 1\ndiscover:\n  approved:\n    - host: 10.9.0.0/16\n      provider: mistral\n');
    const ok = await run(['discover', 'egress', log, '--config', config], { cwd });
    expect(ok.stdout).toContain('1 AI flow (0 unapproved)');
    expect(ok.code).toBe(0);
    const unapproved = await run(['discover', 'egress', log], { cwd });
    expect(unapproved.code).toBe(1);
    const audit = await run(['audit', 'search', '--type', 'discover.egress', '--json'], { cwd });
    expect(audit.stdout).toContain('unapprovedFlows');
  });

  it('reads a gzipped (rotated) log as a stream', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'access.log.1.gz'), gzipSync(readFileSync(squid)));
    const r = await run(['discover', 'egress', 'access.log.1.gz', '--approved', join(fixtures, 'approved.yaml'), '--json'], { cwd });
    expect(r.code).toBe(1);
    const plain = await run(['discover', 'egress', squid, '--approved', join(fixtures, 'approved.yaml'), '--json'], { cwd });
    expect(r.stdout).toBe(plain.stdout);
    writeFileSync(join(cwd, 'cut.log.gz'), gzipSync(readFileSync(squid)).subarray(0, 200));
    const cut = await run(['discover', 'egress', 'cut.log.gz', '--format', 'squid'], { cwd });
    expect(cut.code).toBe(2);
    expect(cut.stderr).toContain('not a readable gzip file');
  });

  it('exits 2 on bad input: missing log, unknown format, bad approvals', async () => {
    const cwd = tempDir();
    expect((await run(['discover', 'egress', 'missing.log'], { cwd })).code).toBe(2);
    expect((await run(['discover', 'egress', squid, '--format', 'apache'], { cwd })).code).toBe(2);
    writeFileSync(join(cwd, 'bad.yaml'), 'approved:\n  - host: not-an-ip\n    provider: openai\n');
    const bad = await run(['discover', 'egress', squid, '--approved', 'bad.yaml'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not an IP address or CIDR');
    writeFileSync(join(cwd, 'text.log'), 'hello\n');
    expect((await run(['discover', 'egress', 'text.log'], { cwd })).stderr).toContain('pass --format');
  });
});
