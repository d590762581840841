import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256Hex, sha256, sha256Of } from '../../src/core/digest.js';

describe('one-shot digests', () => {
  it('hash the same bytes as createHash, whole or in parts (fixed seed)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (parts) => {
        const want = createHash('sha256');
        for (const p of parts) want.update(p);
        const expected = want.digest();
        expect(sha256Of(...parts).equals(expected)).toBe(true);
        expect(sha256(Buffer.concat(parts)).equals(expected)).toBe(true);
        expect(sha256Of(...parts)).toHaveLength(32);
      }),
      { seed: 2104, numRuns: 500 },
    );
    expect(sha256('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('make the HMAC that createHmac makes, for keys shorter and longer than a block and any text (fixed seed)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 150 }), fc.string({ unit: 'binary', maxLength: 400 }), (secret, text) => {
        expect(hmacSha256Hex(secret, text)).toBe(createHmac('sha256', secret).update(text, 'utf8').digest('hex'));
      }),
      { seed: 4231, numRuns: 1000 },
    );
    // RFC 4231 test case 2 (key "Jefe") and case 6 (a 131-byte key, hashed first).
    expect(hmacSha256Hex(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(hmacSha256Hex(Buffer.alloc(131, 0xaa), 'Test Using Larger Than Block-Size Key - Hash Key First')).toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
  });

  it('keeps one secret object’s pads apart from another’s with other bytes', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    expect(hmacSha256Hex(a, 'x')).not.toBe(hmacSha256Hex(b, 'x'));
    expect(hmacSha256Hex(a, 'x')).toBe(createHmac('sha256', a).update('x').digest('hex'));
    expect(hmacSha256Hex(b, 'x')).toBe(createHmac('sha256', b).update('x').digest('hex'));
  });
});
