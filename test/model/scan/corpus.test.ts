import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../../src/model/scan/scan-file.js';

/**
 * The scanner corpus (test/fixtures/model/corpus, made by scripts/make-scan-fixtures.py): every known bypass with a
 * case that must fire and a benign near miss that must not, plus ordinary framework files that must come out safe.
 */
interface Case {
  file: string;
  expect: { verdict: string; format: string; mustMention?: string[] };
  bypass: number | null;
  why: string;
}

const root = join(import.meta.dirname, '..', '..', 'fixtures', 'model', 'corpus');
const cases = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Case[];

describe('scanner corpus', () => {
  it.each(cases.map((c) => [c.file, c] as const))('%s', async (_name, c) => {
    const r = await scanFile(join(root, c.file));
    const summary = r.findings.map((f) => `${f.rule}: ${f.message}`).join('\n');
    expect({ verdict: r.verdict, format: r.format }, `${c.why}\n${summary}${r.error ?? ''}`).toEqual({ verdict: c.expect.verdict, format: c.expect.format });
    for (const word of c.expect.mustMention ?? []) expect(summary, `${c.file} findings should mention ${word}`).toContain(word);
  });

  it('covers every one of the 25 published bypasses with a case that fires and one that does not', () => {
    for (let b = 1; b <= 25; b++) {
      const mine = cases.filter((c) => c.bypass === b);
      expect(mine.some((c) => c.expect.verdict !== 'safe'), `bypass ${b} needs a malicious case`).toBe(true);
      expect(mine.some((c) => c.expect.verdict === 'safe'), `bypass ${b} needs a benign near miss`).toBe(true);
    }
  });
});
