import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRuleDocs } from '../../src/model/scan/rule-docs.js';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('docs', () => {
  it('docs/scan-rules.md is generated from the rule table', () => {
    expect(readFileSync(join(root, 'docs', 'scan-rules.md'), 'utf8')).toBe(renderRuleDocs());
  });

  it('docs/audit-events.md lists every event type the code records', () => {
    const doc = readFileSync(join(root, 'docs', 'audit-events.md'), 'utf8');
    const types = new Set<string>();
    for (const f of sources(join(root, 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/type: '([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)'/g)) types.add(m[1]!);
    }
    expect(types.size).toBeGreaterThan(0);
    for (const t of types) expect(doc, `docs/audit-events.md lacks ${t}`).toContain(`\`${t}\``);
  });

  it('docs/errors.md lists every error code in the source', () => {
    const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    const codes = new Set<string>();
    for (const f of sources(join(root, 'src'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/ErrorCode\s*=\s*((?:\s*\|?\s*'[A-Z0-9_]+')+)/g)) for (const c of m[1]!.matchAll(/'([A-Z0-9_]+)'/g)) codes.add(c[1]!);
    }
    expect(codes.size).toBeGreaterThan(0);
    for (const c of codes) expect(doc, `docs/errors.md lacks ${c}`).toContain(`\`${c}\``);
  });
});
