import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canaryGuard, createCanary, detectCanary, runGuards } from '../../src/guard/index.js';
import { normalize, textsOf } from '../../src/guard/normalize/normalize.js';

/**
 * The longest run of `text` found in `needle`, by brute force: for each end in the text, in order, the longest run
 * ending there; the first end that beats the best so far wins (so ties resolve as in the guard).
 */
function longestRun(text: string, needle: string): { length: number; at: number } {
  let best = { length: 0, at: 0 };
  for (let i = 0; i < text.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      let k = 0;
      while (k <= i && k <= j && text[i - k] === needle[j - k]) k++;
      if (k > best.length) best = { length: k, at: i - k + 1 };
    }
  }
  return best;
}

/** What detectCanary should find for one token: the best run over every text normalization yields, and its span. */
function expected(text: string, token: string): { score: number; span: { start: number; end: number } } | undefined {
  const body = normalize(token).text.replace(/^plsd/, '');
  let best = 0;
  let span: { start: number; end: number } | undefined;
  for (const t of textsOf(normalize(text))) {
    const r = longestRun(t.text, body);
    if (r.length > best) {
      best = r.length;
      span = t.span ?? { start: t.mapped.starts[r.at] ?? 0, end: t.mapped.ends[r.at + r.length - 1] ?? 0 };
    }
  }
  return best < 8 ? undefined : { score: Number((best / body.length).toFixed(3)), span: span! };
}

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

  it('finds the longest leaked run and its place as a brute-force search does, over plain and encoded text (property)', () => {
    const token = createCanary().token;
    const body = token.slice(4);
    const piece = fc.oneof(
      fc.stringMatching(/^[a-z ]{0,12}$/),
      fc.tuple(fc.nat(19), fc.integer({ min: 1, max: 20 })).map(([a, n]) => body.slice(a, a + n)),
      fc.tuple(fc.nat(19), fc.integer({ min: 6, max: 20 })).map(([a, n]) => Buffer.from(body.slice(a, a + n)).toString('base64')),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.boolean(), (pieces, other) => {
        const text = pieces.join(' ');
        // A call with a longer needle between two with this one: the scratch rows shared between calls must not leak.
        if (other) detectCanary(text, [`PLSD${body}${body}`]);
        const found = detectCanary(text, [token]);
        const want = expected(text, token);
        if (want === undefined) expect(found).toEqual([]);
        else expect(found.map((f) => ({ score: f.score, span: f.span }))).toEqual([want]);
      }),
      { numRuns: 300 },
    );
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
