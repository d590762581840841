import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectInText, discoverCode, DiscoverError, fileKindOf, findKeys, formatCodeJson, formatCodeSarif, formatCodeText, type CodeFinding } from '../../src/discover/index.js';
import { tempDir } from '../support/tmp.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'discover');
const repo = join(fixtures, 'repo');
const expected = (JSON.parse(readFileSync(join(fixtures, 'expected-code.json'), 'utf8')) as { findings: Omit<CodeFinding, 'evidence'>[] }).findings;
const keyOf = (f: Omit<CodeFinding, 'evidence'>): string => `${f.file}:${f.line}:${f.kind}:${f.provider}`;

/** Every full key the fixture repository holds (the values that must never appear in any output). */
function fixtureKeys(): string[] {
  const files = ['app/chat.py', 'web/src/client.ts', '.env', 'config/settings.json', 'docs/README.md'];
  return files.flatMap((f) => {
    const text = readFileSync(join(repo, f), 'utf8');
    return findKeys(text).map((k) => text.slice(k.start, k.end));
  });
}

describe('discover code', () => {
  it('finds what the fixture repository holds, with no alarm on its decoys (precision and recall)', () => {
    const report = discoverCode(repo);
    const got = new Set(report.findings.map(keyOf));
    const want = new Set(expected.map(keyOf));
    const truePositives = [...got].filter((k) => want.has(k)).length;
    const precision = truePositives / got.size;
    const recall = truePositives / want.size;
    expect([...got].filter((k) => !want.has(k)), 'false positives').toEqual([]);
    expect([...want].filter((k) => !got.has(k)), 'missed').toEqual([]);
    expect(precision).toBe(1);
    expect(recall).toBe(1);
    expect(want.size).toBeGreaterThan(50);
    for (const kind of ['sdk', 'endpoint', 'key', 'local-model']) expect(report.findings.some((f) => f.kind === kind)).toBe(true);
  });

  it('honours .gitignore (nested rules, ignored folders not entered) and notes binaries and huge files', () => {
    const dir = tempDir();
    cpSync(repo, dir, { recursive: true });
    writeFileSync(join(dir, 'app', 'bundle.js'), `import OpenAI from 'openai';\n${'x'.repeat(1024 * 1024)}\n`);
    writeFileSync(join(dir, 'app', '.gitignore'), 'generated_*.py\n!generated_keep.py\n');
    writeFileSync(join(dir, 'app', 'generated_a.py'), 'import openai\n');
    writeFileSync(join(dir, 'app', 'generated_keep.py'), 'import groq\n');
    const report = discoverCode(dir);
    const files = new Set(report.findings.map((f) => f.file));
    expect(files.has('ignored/secret.py')).toBe(false);
    expect(files.has('debug.log')).toBe(false);
    expect(files.has('app/generated_a.py')).toBe(false);
    expect(files.has('app/generated_keep.py')).toBe(true);
    expect(report.skipped).toEqual(expect.arrayContaining([{ file: 'app/logo.py', reason: 'binary' }, { file: 'app/bundle.js', reason: 'too-large' }]));
    expect(files.has('app/logo.py') || files.has('app/bundle.js')).toBe(false);
  });

  it('masks keys in every output: JSON, SARIF and text', () => {
    const report = discoverCode(repo);
    const keys = fixtureKeys();
    expect(keys.length).toBeGreaterThanOrEqual(5);
    const outputs = [formatCodeJson(report), JSON.stringify(formatCodeSarif(report, '0.0.0')), formatCodeText(report)];
    for (const out of outputs) for (const k of keys) expect(out).not.toContain(k.slice(-16));
    const key = report.findings.find((f) => f.kind === 'key' && f.provider === 'anthropic')!;
    expect(key.evidence).toMatch(/^sk-ant-api03-…\(108 chars, masked\)$/);
  });

  it('masks a key that sits on a line reported for another reason', () => {
    const key = `sk-ant-api03-${'aB3dE5fG7h'.repeat(9)}abcAA`;
    const found = detectInText('x.sh', `curl https://api.anthropic.com/v1/messages -H "x-api-key: ${key}"\n`, 'shell');
    expect(found.map((f) => f.kind).sort()).toEqual(['endpoint', 'key']);
    for (const f of found) expect(f.evidence).not.toContain(key.slice(20));
  });

  it('JSON has exactly the issue\'s shape; SARIF is 2.1.0 with a rule per kind', () => {
    const report = discoverCode(repo);
    const json = JSON.parse(formatCodeJson(report)) as { findings: Record<string, unknown>[] };
    expect(Object.keys(json)).toEqual(['findings']);
    for (const f of json.findings) expect(Object.keys(f)).toEqual(['file', 'line', 'kind', 'provider', 'evidence']);
    const sarif = formatCodeSarif(report, '0.0.0') as { version: string; runs: { results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results).toHaveLength(report.findings.length);
    expect(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine).toBe(report.findings[0]!.line);
  });

  it('refuses a path that is not a folder, with a code', () => {
    expect(() => discoverCode(join(repo, 'nope'))).toThrow(DiscoverError);
    expect(() => discoverCode(join(repo, 'package.json'))).toThrow(/not a folder/);
  });

  it('never throws on arbitrary text and never prints a key it found (fuzz)', () => {
    const kinds = ['python', 'js', 'go', 'java', 'shell', 'yaml', 'docker', 'env', 'npm-manifest', 'requirements', 'py-manifest', 'maven', 'gradle', 'config', 'text', 'notebook', 'go-mod'] as const;
    const key = `sk-ant-api03-${'Zq9'.repeat(31)}AA`;
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.constantFrom(...kinds), fc.boolean(), (text, kind, withKey) => {
        const input = withKey ? `${text}\n${key}\n${text}` : text;
        const found = detectInText('f', input, kind);
        for (const f of found) {
          expect(f.line).toBeGreaterThanOrEqual(1);
          expect(f.evidence).not.toContain(key.slice(16));
        }
        if (withKey) expect(found.some((f) => f.kind === 'key')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('classifies files by name and skips lock files', () => {
    expect(fileKindOf('package-lock.json')).toBeUndefined();
    expect(fileKindOf('Dockerfile')).toBe('docker');
    expect(fileKindOf('.env.production')).toBe('env');
    expect(fileKindOf('requirements-dev.txt')).toBe('requirements');
    expect(fileKindOf('notes.md')).toBe('text');
  });
});
