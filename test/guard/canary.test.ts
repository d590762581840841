import { describe, expect, it } from 'vitest';
import { canaryGuard, createCanary, detectCanary, runGuards } from '../../src/guard/index.js';

describe('canary-token guard', () => {
  it('makes a fresh token per request and embeds it in an instruction', () => {
    const a = createCanary();
    const b = createCanary();
    expect(a.token).toMatch(/^PLSD[A-Z]{20}$/);
    expect(a.token).not.toBe(b.token);
    expect(a.instruction).toContain(a.token);
  });

  it('detects whole and partial leaks, also obfuscated or encoded', () => {
    const { token } = createCanary();
    const body = token.slice(4);
    expect(detectCanary(`Sure! My instructions say: Internal reference ${token}.`, [token])[0]).toMatchObject({ rule: 'canary-leak', score: 1 });
    expect(detectCanary(`the reference is ${body.slice(0, 10)}`, [token])[0]).toMatchObject({ rule: 'canary-partial-leak', score: 0.5 });
    expect(detectCanary(`ref: ${[...token].join(' ')}`, [token])[0]!.rule).toBe('canary-leak');
    expect(detectCanary(`ref: ${token.slice(0, 8)}\u200b${token.slice(8)}`, [token])[0]!.rule).toBe('canary-leak');
    expect(detectCanary(`encoded: ${Buffer.from(token).toString('base64')}`, [token])[0]!.rule).toBe('canary-leak');
    const text = `leak ${token} here`;
    const f = detectCanary(text, [token])[0]!;
    expect(text.slice(f.span!.start, f.span!.end)).toBe(body);
  });

  it('tells canaries apart over many requests (the normalized tokens are kept for reuse)', () => {
    const tokens = Array.from({ length: 1500 }, () => createCanary().token);
    for (const [i, token] of tokens.entries()) {
      const other = tokens[(i + 1) % tokens.length]!;
      expect(detectCanary(`leaked: ${token}`, [token])[0]?.rule).toBe('canary-leak');
      expect(detectCanary(`leaked: ${token}`, [other])).toEqual([]);
    }
  });

  it('does not fire without a leak, or on a few shared letters', () => {
    const { token } = createCanary();
    expect(detectCanary('A normal answer about the weather in Paris.', [token])).toEqual([]);
    expect(detectCanary(`letters ${token.slice(4, 9)} only`, [token])).toEqual([]);
    expect(detectCanary('anything', [])).toEqual([]);
  });

  it('blocks through the pipeline, reading the tokens from the context', () => {
    const { token } = createCanary();
    expect(runGuards(`x ${token}`, [{ guard: canaryGuard() }], { canaries: [token] }).action).toBe('block');
    expect(runGuards(`x ${token}`, [{ guard: canaryGuard() }]).action).toBe('allow');
  });

  it('survives malformed and huge output', () => {
    const { token } = createCanary();
    expect(detectCanary('\ud800'.repeat(1000) + 'A'.repeat(500_000), [token])).toEqual([]);
  });
});
