import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseSplitter } from '../../src/gateway/index.js';

const enc = new TextEncoder();

describe('SseSplitter', () => {
  it('yields the same events however the byte stream is cut into chunks (fixed seed)', () => {
    const payload = fc.string({ unit: fc.constantFrom('a', 'é', '😀', '{', '"', ' ', ':') , maxLength: 40 });
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 20 }), fc.constantFrom('\n', '\r\n', '\r'), fc.array(fc.nat(), { maxLength: 30 }), (events, eol, cuts) => {
        // Each event spans two data lines, which must come back joined by '\n'.
        const text = events.map((e) => `: comment${eol}data: ${e}${eol}data: ${e}${eol}${eol}`).join('');
        const bytes = enc.encode(text);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const s = new SseSplitter();
        const out: string[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          out.push(...s.push(bytes.subarray(prev, p)));
          prev = p;
        }
        // With '\r' line ends the final blank line can only be told apart at the end of the stream.
        const last = s.end();
        if (last !== undefined) out.push(last);
        expect(out).toEqual(events.map((e) => `${e}\n${e}`));
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('joins multi-line data, ignores other fields, reports an event left open at the end', () => {
    const s = new SseSplitter();
    expect(s.push(enc.encode('event: x\nid: 1\ndata: a\ndata: b\n\ndata: [DONE]\n\ndata: half'))).toEqual(['a\nb', '[DONE]']);
    expect(s.end()).toBe('half');
  });

  it('refuses a line longer than its bound instead of growing, and survives random bytes', () => {
    const s = new SseSplitter(1024);
    expect(() => s.push(new Uint8Array(2048).fill(0x61))).toThrow(/over 1024 characters/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => {
        const t = new SseSplitter(1 << 16);
        expect(Array.isArray(t.push(b))).toBe(true);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
