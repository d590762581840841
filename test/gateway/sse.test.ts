import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseSplitter } from '../../src/gateway/index.js';

const enc = new TextEncoder();

/** Feeds `bytes` to a new splitter in pieces cut at `cuts` (taken modulo the length); its events, and the splitter. */
function pushCut(bytes: Uint8Array, cuts: readonly number[]): { events: string[]; s: SseSplitter } {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const s = new SseSplitter();
  const events: string[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    events.push(...s.push(bytes.subarray(prev, p)));
    prev = p;
  }
  return { events, s };
}

describe('SseSplitter', () => {
  it('yields the same events however the byte stream is cut into chunks (fixed seed)', () => {
    const payload = fc.string({ unit: fc.constantFrom('a', 'é', '😀', '{', '"', ' ', ':') , maxLength: 40 });
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 20 }), fc.constantFrom('\n', '\r\n', '\r'), fc.array(fc.nat(), { maxLength: 30 }), (events, eol, cuts) => {
        // Each event spans two data lines, which must come back joined by '\n'.
        const text = events.map((e) => `: comment${eol}data: ${e}${eol}data: ${e}${eol}${eol}`).join('');
        const { events: out, s } = pushCut(enc.encode(text), cuts);
        // With '\r' line ends the final blank line can only be told apart at the end of the stream.
        const last = s.end();
        if (last !== undefined) out.push(last);
        expect(out).toEqual(events.map((e) => `${e}\n${e}`));
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('reads any byte stream, cut anywhere, as a whole-text reading of the standard does (fixed seed)', () => {
    // The reference: decode the whole stream at once, drop a leading byte order mark, split lines on CRLF, LF or CR.
    const reference = (bytes: Uint8Array): { events: string[]; open: string | undefined } => {
      const text = new TextDecoder('utf-8').decode(bytes);
      const lines = text.split(/\r\n|\n|\r/);
      const last = lines.pop()!; // text after the last line end: a line that never ended
      const events: string[] = [];
      let data: string[] = [];
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) events.push(data.join('\n'));
          data = [];
        } else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
      }
      if (last.startsWith('data:')) data.push(last.slice(last[5] === ' ' ? 6 : 5));
      return { events, open: data.length > 0 ? data.join('\n') : undefined };
    };
    const piece = fc.oneof(
      fc.constantFrom('data: ', 'data:', 'data', ': c', 'event: x', '\n', '\r', '\r\n', '\n\n', '\ufeff', 'é', '😀', '{"a":1}', ' '),
      fc.string({ maxLength: 6 }),
    );
    const body = fc.oneof(
      fc.array(piece, { maxLength: 30 }).map((ps) => enc.encode(ps.join(''))),
      fc.uint8Array({ maxLength: 200 }).map((b) => b.map((x) => (x % 3 === 0 ? [0x0a, 0x0d, 0xc3, 0xef, 0xbb, 0xbf][x % 6]! : x))),
    );
    // Half of the streams start with a byte order mark.
    const bytesOf = fc.tuple(fc.boolean(), body).map(([bom, b]) => (bom ? Uint8Array.from([0xef, 0xbb, 0xbf, ...b]) : b));
    fc.assert(
      fc.property(bytesOf, fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        const { events, s } = pushCut(bytes, cuts);
        expect({ events, open: s.end() }).toEqual(reference(bytes));
      }),
      { seed: 13, numRuns: 2000 },
    );
  });

  it('joins multi-line data, ignores other fields, reports an event left open at the end', () => {
    const s = new SseSplitter();
    expect(s.push(enc.encode('event: x\nid: 1\ndata: a\ndata: b\n\ndata: [DONE]\n\ndata: half'))).toEqual(['a\nb', '[DONE]']);
    expect(s.end()).toBe('half');
  });

  it('drops a byte order mark at the start of the stream only, even when it comes split', () => {
    const bom = [0xef, 0xbb, 0xbf];
    const s = new SseSplitter();
    expect(s.push(Uint8Array.from([bom[0]!]))).toEqual([]);
    expect(s.push(Uint8Array.from([bom[1]!]))).toEqual([]);
    expect(s.push(Uint8Array.from([bom[2]!, ...enc.encode('data: a\r\r\ufeffdata: b\n\n')]))).toEqual(['a']);
    const t = new SseSplitter();
    expect(t.push(enc.encode('\ufeffdata: x\n\n'))).toEqual(['x']);
    expect(new SseSplitter().end()).toBeUndefined();
  });

  it('refuses a line longer than its bound instead of growing, and survives random bytes', () => {
    const s = new SseSplitter(1024);
    expect(() => s.push(new Uint8Array(2048).fill(0x61))).toThrow(/over 1024 bytes/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => {
        const t = new SseSplitter(1 << 16);
        expect(Array.isArray(t.push(b))).toBe(true);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
