import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benignPickle, osSystemPickle } from '../support/pickle-asm.js';
import { run } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { makeZip } from '../support/zip-writer.js';

function modelDir(): string {
  const d = tempDir();
  mkdirSync(join(d, 'model'));
  writeFileSync(join(d, 'model', 'config.json'), '{"hidden_size": 8}');
  writeFileSync(join(d, 'model', 'README.md'), '# A model\n');
  writeFileSync(join(d, 'model', 'pytorch_model.bin'), makeZip([{ name: 'archive/data.pkl', data: benignPickle() }]));
  return d;
}

describe('palisade scan', () => {
  it('exits 0 on an ordinary model folder', async () => {
    const d = modelDir();
    const r = await run(['scan', 'model'], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 file\(s\).*0 unsafe, 0 suspicious, 3 safe/);
  });

  it('exits 1 and names the global when a file is unsafe; JSON has the documented shape', async () => {
    const d = modelDir();
    writeFileSync(join(d, 'model', 'evil.pt'), osSystemPickle());
    const r = await run(['scan', 'model', '--json'], { cwd: d });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const evil = report.files.find((f: { path: string }) => f.path === join('model', 'evil.pt'));
    expect(evil).toMatchObject({ format: 'pickle', verdict: 'unsafe' });
    expect(evil.findings[0]).toMatchObject({ rule: 'pickle-dangerous-global', severity: 'critical', location: { offset: 2, opcode: 'GLOBAL' } });
    expect(evil.findings[0].message).toContain('os.system');
    expect(report.summary).toMatchObject({ files: 4, unsafe: 1, safe: 3 });
  });

  it('--fail-on unsafe lets suspicious files pass', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'm.pkl'), Buffer.from('\x80\x02cmypkg\nNet\n)\x81.', 'latin1'));
    expect((await run(['scan', 'm.pkl'], { cwd: d })).code).toBe(1);
    expect((await run(['scan', 'm.pkl', '--fail-on', 'unsafe'], { cwd: d })).code).toBe(0);
  });

  it('exits 2 when a file cannot be read, still reporting the others', async () => {
    const d = modelDir();
    const r = await run(['scan', 'model', 'missing.pt', '--json'], { cwd: d });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ files: 4, error: 1, safe: 3 });
  });

  it('exits 2 on usage errors with a message naming the flag', async () => {
    const d = modelDir();
    const r = await run(['scan', 'model', '--format', 'xml'], { cwd: d });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format must be one of text, json, sarif');
    expect((await run(['scan'], { cwd: d })).code).toBe(2);
    expect((await run(['bogus'], { cwd: d })).code).toBe(2);
  });

  it('writes SARIF 2.1.0 with rules and stable fingerprints to --output', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'evil.pkl'), osSystemPickle());
    const out = join(d, 'scan.sarif');
    const once = await run(['scan', 'evil.pkl', '--format', 'sarif', '-o', out], { cwd: d });
    expect(once.code).toBe(1);
    expect(once.stdout).toBe('');
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    const runObj = sarif.runs[0];
    expect(runObj.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(['pickle-dangerous-global']);
    expect(runObj.results[0]).toMatchObject({ ruleId: 'pickle-dangerous-global', level: 'error', locations: [{ physicalLocation: { artifactLocation: { uri: 'evil.pkl' } } }] });
    await run(['scan', 'evil.pkl', '--format', 'sarif', '-o', out], { cwd: d });
    const again = JSON.parse(readFileSync(out, 'utf8'));
    expect(again.runs[0].results[0].partialFingerprints).toEqual(runObj.results[0].partialFingerprints);
  });

  it('applies a suppressions file by digest and rule', async () => {
    const d = tempDir();
    const bytes = Buffer.from('\x80\x02cmypkg\nNet\n)\x81.', 'latin1');
    writeFileSync(join(d, 'm.pkl'), bytes);
    const sha = execFileSync('sha256sum', [join(d, 'm.pkl')]).toString().split(' ')[0];
    writeFileSync(join(d, 'sup.yaml'), `suppressions:\n  - sha256: ${sha}\n    rule: pickle-unknown-global\n    reason: our own network class\n`);
    const r = await run(['scan', 'm.pkl', '--suppressions', 'sup.yaml', '--json'], { cwd: d });
    expect(r.code).toBe(0);
    const f = JSON.parse(r.stdout).files[0];
    expect(f).toMatchObject({ verdict: 'safe', findings: [], suppressed: [{ rule: 'pickle-unknown-global', reason: 'our own network class' }] });
    writeFileSync(join(d, 'bad.yaml'), 'suppressions:\n  - sha256: nope\n    rule: x\n    reason: y\n');
    const bad = await run(['scan', 'm.pkl', '--suppressions', 'bad.yaml'], { cwd: d });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('sha256');
  });

  it('never reads a config shipped inside the scanned tree', async () => {
    const d = tempDir();
    mkdirSync(join(d, 'download', '.palisade'), { recursive: true });
    writeFileSync(join(d, 'download', '.palisade', 'config.yaml'), 'scan:\n  allow: [mypkg.Net]\n');
    writeFileSync(join(d, 'download', 'm.pkl'), Buffer.from('\x80\x02cmypkg\nNet\n)\x81.', 'latin1'));
    const inside = join(d, 'download');
    const r = await run(['scan', '.', '--json'], { cwd: inside });
    expect(r.stderr).toContain('ignoring Palisade home');
    expect(r.code).toBe(1);
    const explicit = await run(['scan', '.', '--config', '.palisade/config.yaml'], { cwd: inside });
    expect(explicit.code).toBe(2);
    expect(explicit.stderr).toContain('a scanned tree cannot configure its own scan');
    // Scanning just the file, the config beside it is outside the scanned path and is honoured.
    const outside = await run(['scan', 'download/m.pkl', '--config', 'download/.palisade/config.yaml'], { cwd: d });
    expect(outside.code).toBe(0);
  });

  it('records every verdict in the audit log when a home exists, and not with --no-record', async () => {
    const d = modelDir();
    writeFileSync(join(d, 'model', 'evil.pkl'), osSystemPickle());
    expect((await run(['init'], { cwd: d })).code).toBe(0);
    expect((await run(['scan', 'model'], { cwd: d })).code).toBe(1);
    // Entry 0 is the first admin (palisade init); the scan's verdicts follow in listing order.
    const prove = JSON.parse((await run(['audit', 'prove', '--index', '3', '--json'], { cwd: d })).stdout);
    expect(JSON.parse(prove.entry)).toMatchObject({ type: 'scan.verdict', subject: `path:${join('model', 'evil.pkl')}`, data: { verdict: 'unsafe', rules: ['pickle-dangerous-global'] } });
    expect(prove.size).toBe(5);
    await run(['scan', 'model', '--no-record'], { cwd: d });
    expect(JSON.parse((await run(['audit', 'checkpoint', '--json'], { cwd: d })).stdout).size).toBe(5);
  });

  it('runs through the installed launcher (bin/palisade.js over dist/)', () => {
    const d = modelDir();
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'palisade.js');
    const ok = spawnSync(process.execPath, [bin, 'scan', 'model', '--json'], { cwd: d, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).summary.files).toBe(3);
    // Worker threads exist only in the built package: results come back complete and in listing order.
    writeFileSync(join(d, 'model', 'evil.pkl'), osSystemPickle());
    const threaded = spawnSync(process.execPath, [bin, 'scan', 'model', '--json', '--workers', '2'], { cwd: d, encoding: 'utf8' });
    expect(threaded.status).toBe(1);
    const files = JSON.parse(threaded.stdout).files as { path: string; verdict: string }[];
    expect(files.map((f) => f.path)).toEqual(['README.md', 'config.json', 'evil.pkl', 'pytorch_model.bin'].map((n) => join('model', n)));
    expect(files.find((f) => f.path.endsWith('evil.pkl'))!.verdict).toBe('unsafe');
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
