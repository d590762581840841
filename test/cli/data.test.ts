import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

function dataset(): string {
  const d = tempDir();
  mkdirSync(join(d, 'ds', 'train'), { recursive: true });
  writeFileSync(join(d, 'ds', 'train', 'a.csv'), 'x,y\n1,2\n3,4\n');
  writeFileSync(join(d, 'ds', 'b.jsonl'), '{"q":1}\n');
  return d;
}

describe('palisade data', () => {
  it('snapshot writes a stable manifest; verify passes, then names what changed (exit 1)', async () => {
    const d = dataset();
    const s = await run(['data', 'snapshot', 'ds', '--out', 'ds.manifest.json', '--json'], { cwd: d });
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ files: 2, rows: 3, manifest: 'ds.manifest.json' });
    const first = readFileSync(join(d, 'ds.manifest.json'), 'utf8');
    expect((await run(['data', 'snapshot', 'ds', '--out', 'ds.manifest.json'], { cwd: d })).code).toBe(0);
    expect(readFileSync(join(d, 'ds.manifest.json'), 'utf8')).toBe(first);
    const ok = await run(['data', 'verify', 'ds', '--manifest', 'ds.manifest.json'], { cwd: d });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^VERIFIED ds: 2 files/);
    writeFileSync(join(d, 'ds', 'train', 'a.csv'), 'x,y\n1,2\n');
    const bad = await run(['data', 'verify', 'ds', '--manifest', 'ds.manifest.json'], { cwd: d });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAILED ds[\s\S]*modified: train\/a.csv/);
  });

  it('a manifest inside the dataset is left out; a broken manifest exits 2', async () => {
    const d = dataset();
    expect((await run(['data', 'snapshot', 'ds', '--out', 'ds/data.manifest.json'], { cwd: d })).code).toBe(0);
    expect((await run(['data', 'verify', 'ds', '--manifest', 'ds/data.manifest.json'], { cwd: d })).code).toBe(0);
    writeFileSync(join(d, 'broken.json'), '{"format": "other"}');
    const r = await run(['data', 'verify', 'ds', '--manifest', 'broken.json'], { cwd: d });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a usable dataset manifest/);
  });

  it('records snapshot and verify in the audit log when a home exists', async () => {
    const d = dataset();
    expect((await run(['init'], { cwd: d })).code).toBe(0);
    expect((await run(['data', 'snapshot', 'ds'], { cwd: d })).code).toBe(0);
    expect((await run(['data', 'verify', 'ds'], { cwd: d })).code).toBe(0);
    const tail = JSON.parse((await run(['audit', 'tail', '--json'], { cwd: d })).stdout) as { type: string }[];
    expect(tail.map((e) => e.type)).toEqual(['user.created', 'data.snapshot', 'data.verified']); // the first admin, from init
  });
});
