import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyUsageByte } from '../../src/sign/der.js';
import { isBug } from '../support/fuzz.js';
import { makeCert } from '../support/x509.js';

describe('keyUsageByte (bounded DER walk)', () => {
  it('reads the KeyUsage bits, or nothing when the extension is absent', () => {
    expect(keyUsageByte(makeCert({ subject: 's', keyUsage: 0x80 }).cert.raw)).toBe(0x80);
    expect(keyUsageByte(makeCert({ subject: 's', keyUsage: 0x04, ca: true }).cert.raw)).toBe(0x04);
    expect(keyUsageByte(makeCert({ subject: 's', codeSigning: true }).cert.raw)).toBeUndefined();
    expect(keyUsageByte(Buffer.alloc(0))).toBeUndefined();
  });

  it('never throws on mutated or truncated certificates', () => {
    const der = makeCert({ subject: 'fuzz', keyUsage: 0x80, codeSigning: true }).cert.raw;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: der.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat({ max: der.length }), (edits, cut) => {
        const b = Buffer.from(der.subarray(0, cut));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        try {
          const r = keyUsageByte(b);
          expect(r === undefined || (r >= 0 && r <= 255)).toBe(true);
        } catch (err) {
          if (isBug(err)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
