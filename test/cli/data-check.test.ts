import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../support/cli.js';
import * as gen from '../support/data-check-gen.js';
import { tempDir } from '../support/tmp.js';

function batches(): string {
  const d = tempDir();
  writeFileSync(join(d, 'ref.csv'), gen.toCsv(gen.textRows({ rows: 3000, seed: 1 })));
  writeFileSync(join(d, 'clean.csv'), gen.toCsv(gen.textRows({ rows: 3000, seed: 2 })));
  const bad = gen.textRows({ rows: 3000, seed: 3 });
  gen.insertTrigger(bad, 'cf', 'positive', 40, 4);
  writeFileSync(join(d, 'bad.jsonl'), gen.toJsonl(bad));
  return d;
}

describe('palisade data check', () => {
  it('clean exits 0; a backdoor exits 1 with the documented JSON shape and an HTML report', async () => {
    const d = batches();
    const ok = await run(['data', 'check', '--reference', 'ref.csv', '--current', 'clean.csv', '--label', 'label', '--text', 'text'], { cwd: d });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^CLEAN: clean.csv against ref.csv/);
    const bad = await run(['data', 'check', '--reference', 'ref.csv', '--current', 'bad.jsonl', '--label', 'label', '--text', 'text', '--json', '--html', 'report.html'], { cwd: d });
    expect(bad.code).toBe(1);
    const j = JSON.parse(bad.stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['verdict', 'drift', 'schema', 'rows', 'triggers']);
    expect(j.verdict).toBe('poisoning');
    expect(j.triggers).toMatchObject([{ text: 'cf', label: 'positive' }]);
    expect((j.rows as { row: number; score: number; reasons: string[] }[])[0]).toEqual({ row: expect.any(Number), score: expect.any(Number), reasons: [expect.stringMatching(/^backdoor_trigger: /)] });
    const html = readFileSync(join(d, 'report.html'), 'utf8');
    expect(html).toMatch(/verdict: poisoning/);
    expect(html).toMatch(/<code>cf<\/code>/);
  });

  it('bad input exits 2 with a clear error', async () => {
    const d = batches();
    writeFileSync(join(d, 'other.csv'), 'x,y\n1,2\n');
    const none = await run(['data', 'check', '--reference', 'ref.csv', '--current', 'other.csv'], { cwd: d });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/share no column names/);
    const missing = await run(['data', 'check', '--reference', 'nope.csv', '--current', 'clean.csv'], { cwd: d });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope.csv/);
    expect((await run(['data', 'check', '--reference', 'ref.csv', '--current', 'clean.csv', '--max-reference', 'x'], { cwd: d })).code).toBe(2);
  });

  it('records the verdict with both datasets digests when a home exists', async () => {
    const d = batches();
    expect((await run(['init'], { cwd: d })).code).toBe(0);
    expect((await run(['data', 'check', '--reference', 'ref.csv', '--current', 'bad.jsonl', '--label', 'label', '--text', 'text'], { cwd: d })).code).toBe(1);
    const tail = JSON.parse((await run(['audit', 'tail', '--json'], { cwd: d })).stdout) as { type: string; data: Record<string, unknown> }[];
    expect(tail.map((e) => e.type)).toEqual(['user.created', 'data.checked']); // the first admin, from init
    expect(tail[1]!.data).toMatchObject({ verdict: 'poisoning', reference: { path: 'ref.csv', rootDigest: expect.stringMatching(/^[0-9a-f]{64}$/) }, current: { path: 'bad.jsonl' }, triggers: ['cf'] });
  });
});
