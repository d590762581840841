import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles } from '../../../src/model/scan/walk.js';
import { tempDir } from '../../support/tmp.js';

describe('listFiles', () => {
  it('lists files in sorted order, follows links to files, and never follows links to folders', async () => {
    const d = tempDir();
    mkdirSync(join(d, 'm', 'sub'), { recursive: true });
    mkdirSync(join(d, 'm', '.git'));
    writeFileSync(join(d, 'm', 'b.bin'), 'b');
    writeFileSync(join(d, 'm', 'a.bin'), 'a');
    writeFileSync(join(d, 'm', 'sub', 'c.bin'), 'c');
    writeFileSync(join(d, 'm', '.git', 'HEAD'), 'ref');
    writeFileSync(join(d, 'blob'), 'weights');
    symlinkSync(join(d, 'blob'), join(d, 'm', 'model.safetensors'));
    symlinkSync(join(d, 'm'), join(d, 'm', 'sub', 'loop'));
    symlinkSync(join(d, 'missing'), join(d, 'm', 'dangling'));
    const r = await listFiles([join(d, 'm')]);
    expect(r.files.map((f) => f.display)).toEqual(['a.bin', 'b.bin', 'model.safetensors', join('sub', 'c.bin')].map((p) => join(d, 'm', p)));
    expect(r.files.find((f) => f.display.endsWith('model.safetensors'))!.size).toBe(7);
    expect(r.links.map((l) => l.message).sort()).toEqual(['is a dangling symbolic link', 'is a symbolic link to a folder; not followed']);
    expect(r.problems).toEqual([]);
  });

  it('reports a missing target as a problem', async () => {
    const r = await listFiles(['/nonexistent/path']);
    expect(r.problems[0]!.message).toMatch(/cannot read/);
  });
});
