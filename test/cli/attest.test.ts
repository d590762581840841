import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitHead } from '../../src/sign/index.js';
import { run } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const COMMIT = 'a'.repeat(40);

async function setup(): Promise<string> {
  const d = tempDir();
  for (const [p, text] of [
    ['model/weights.bin', 'w'.repeat(1000)],
    ['train/a.jsonl', '{"x":1}\n'],
    ['eval/b.csv', 'h\n1\n'],
    ['code/train.py', 'print(1)'],
    ['code/.git/HEAD', 'ref: refs/heads/main\n'],
    ['code/.git/packed-refs', `# pack-refs\n${'b'.repeat(40)} refs/heads/main\n`],
  ]) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  expect((await run(['keygen', '--out', 'k'], { cwd: d })).code).toBe(0);
  for (const ds of ['train', 'eval']) expect((await run(['data', 'snapshot', ds, '--out', `${ds}.manifest.json`], { cwd: d })).code).toBe(0);
  return d;
}

describe('palisade attest', () => {
  it('creates SLSA provenance v1 for a training run and verifies it against the files on disk', async () => {
    const d = await setup();
    const c = await run(['attest', 'create', '--model', 'model', '--dataset', 'train.manifest.json', '--dataset', 'eval.manifest.json', '--code', 'code', '--param', 'lr=0.001', '--param', 'epochs=3', '--param', 'optimizer=adamw', '--key', 'k', '--json'], { cwd: d });
    expect(c.code, c.stderr).toBe(0);
    const { statement } = JSON.parse(c.stdout);
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement.predicate.buildDefinition.externalParameters.parameters).toEqual({ lr: 0.001, epochs: 3, optimizer: 'adamw' });
    const deps = statement.predicate.buildDefinition.resolvedDependencies;
    expect(deps.map((x: { name: string }) => x.name)).toEqual(['train', 'eval', 'code']);
    expect(deps[2].digest.gitCommit).toBe('b'.repeat(40));
    const trainManifest = JSON.parse(readFileSync(join(d, 'train.manifest.json'), 'utf8'));
    expect(deps[0].digest.sha256).toBe(trainManifest.rootDigest);

    const v = await run(['attest', 'verify', 'training.attestation.json', '--key', 'k.pub', '--model', 'model', '--dataset', 'train', '--dataset', 'eval', '--code', 'code', '--json'], { cwd: d });
    expect(v.code, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, notChecked: [], parameters: { epochs: 3 } });

    writeFileSync(join(d, 'train', 'a.jsonl'), '{"x":2}\n');
    const bad = await run(['attest', 'verify', 'training.attestation.json', '--key', 'k.pub', '--model', 'model', '--dataset', 'train'], { cwd: d });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/MISMATCH: dataset train[\s\S]*not checked: dataset eval/);
  });

  it('fails for another key, an edited attestation, or a wrong commit; malformed input exits 2', async () => {
    const d = await setup();
    expect((await run(['attest', 'create', '--model', 'model', '--code', COMMIT, '--key', 'k', '--out', 'a.json'], { cwd: d })).code).toBe(0);
    expect((await run(['attest', 'verify', 'a.json', '--key', 'k.pub', '--code', COMMIT], { cwd: d })).code).toBe(0);
    expect((await run(['attest', 'verify', 'a.json', '--key', 'k.pub', '--code', 'c'.repeat(40)], { cwd: d })).stdout).toMatch(/MISMATCH: code commit/);
    expect((await run(['keygen', '--out', 'k2'], { cwd: d })).code).toBe(0);
    expect((await run(['attest', 'verify', 'a.json', '--key', 'k2.pub'], { cwd: d })).stdout).toMatch(/names another key/);
    const b = JSON.parse(readFileSync(join(d, 'a.json'), 'utf8'));
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString());
    st.predicate.buildDefinition.externalParameters.parameters = { lr: 1 };
    b.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
    writeFileSync(join(d, 'edited.json'), JSON.stringify(b));
    expect((await run(['attest', 'verify', 'edited.json', '--key', 'k.pub'], { cwd: d })).stdout).toMatch(/does not verify/);
    writeFileSync(join(d, 'junk.json'), '[]');
    expect((await run(['attest', 'verify', 'junk.json', '--key', 'k.pub'], { cwd: d })).code).toBe(2);
    expect((await run(['attest', 'create', '--model', 'model', '--param', 'novalue', '--key', 'k'], { cwd: d })).code).toBe(2);
  });

  it('reads git HEAD from files: detached, loose ref, worktree pointer; nothing for a plain folder', () => {
    const d = tempDir();
    mkdirSync(join(d, 'a', '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(d, 'a', '.git', 'HEAD'), 'ref: refs/heads/dev\n');
    writeFileSync(join(d, 'a', '.git', 'refs', 'heads', 'dev'), `${'c'.repeat(40)}\n`);
    expect(gitHead(join(d, 'a'))).toBe('c'.repeat(40));
    mkdirSync(join(d, 'b'));
    writeFileSync(join(d, 'b', '.git'), `gitdir: ${join(d, 'a', '.git')}\n`);
    expect(gitHead(join(d, 'b'))).toBe('c'.repeat(40));
    writeFileSync(join(d, 'a', '.git', 'HEAD'), `${'d'.repeat(40)}\n`);
    expect(gitHead(join(d, 'a'))).toBe('d'.repeat(40));
    writeFileSync(join(d, 'a', '.git', 'HEAD'), 'ref: refs/../../etc/passwd\n');
    expect(gitHead(join(d, 'a'))).toBeUndefined();
    expect(gitHead(d)).toBeUndefined();
  });

  it('records create and verify in the audit log when a home exists', async () => {
    const d = await setup();
    expect((await run(['init'], { cwd: d })).code).toBe(0);
    expect((await run(['attest', 'create', '--model', 'model', '--key', 'k'], { cwd: d })).code).toBe(0);
    expect((await run(['attest', 'verify', 'training.attestation.json', '--key', 'k.pub', '--model', 'model'], { cwd: d })).code).toBe(0);
    const tail = JSON.parse((await run(['audit', 'tail', '--json'], { cwd: d })).stdout) as { type: string }[];
    expect(tail.map((e) => e.type)).toEqual(['user.created', 'attest.created', 'attest.verified']); // the first admin, from init
  });
});
