import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeOf } from '../support/error-code.js';
import { detectPii, ibanValid, luhnValid } from '../../src/guard/index.js';

const kinds = (text: string): string[] => detectPii(text).map((f) => f.rule);
const spans = (text: string): string[] => detectPii(text).map((f) => text.slice(f.span!.start, f.span!.end));

describe('pii guard', () => {
  it('finds e-mail addresses, phone numbers, cards, IBANs, SSNs and IP addresses with exact spans', () => {
    expect(spans('write to jane.doe+news@mail.example.co.uk today')).toEqual(['jane.doe+news@mail.example.co.uk']);
    expect(spans('call +44 20 7946 0958 or (555) 123-4567 or 555-123-4567')).toEqual(['+44 20 7946 0958', '(555) 123-4567', '555-123-4567']);
    expect(spans('card 4111 1111 1111 1111 and 5500-0000-0000-0004 and 378282246310005')).toEqual(['4111 1111 1111 1111', '5500-0000-0000-0004', '378282246310005']);
    expect(spans('IBAN GB82 WEST 1234 5698 7654 32, DE89370400440532013000')).toEqual(['GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000']);
    expect(spans('SSN 078-05-1120')).toEqual(['078-05-1120']);
    expect(spans('server 192.168.1.20 and 2001:db8::8a2e:370:7334')).toEqual(['192.168.1.20', '2001:db8::8a2e:370:7334']);
    expect(kinds('card 4111 1111 1111 1111')).toEqual(['pii-card']);
  });

  it('does not fire on near misses', () => {
    for (const text of [
      'order 4111 1111 1111 1112 failed', // fails Luhn
      'IBAN GB82 WEST 1234 5698 7654 33', // bad checksum
      'SSN 000-12-3456 and 666-12-3456 and 900-12-3456', // never issued
      'released on 2024-01-15 at 10:30',
      'version 1.2.3.4 of the library',
      'the value 999.1.1.1 is not an address',
      'reach me at name at example dot com',
      'the product code 1234-5678 ships today',
      'a::b in C++ scope resolution',
    ]) {
      expect(kinds(text), text).toEqual([]);
    }
  });

  it('checks Luhn and IBAN mod 97', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(ibanValid('DE8937040044053201300')).toBe(false); // one digit short for Germany
  });

  it('takes custom patterns and refuses bad ones with a clear error', () => {
    const f = detectPii('employee EMP-004211 asked', { custom: [{ name: 'employee-id', pattern: 'EMP-\\d{6}' }] });
    expect(f.map((x) => x.rule)).toEqual(['pii-employee-id']);
    expect(codeOf(() => detectPii('x', { custom: [{ name: 'bad', pattern: '(' }] }))).toBe('GUARD_PATTERN_INVALID');
    expect(codeOf(() => detectPii('x', { custom: [{ name: 'long', pattern: 'a'.repeat(600) }] }))).toBe('GUARD_PATTERN_INVALID');
    expect(codeOf(() => detectPii('x', { custom: [{ name: 'Bad Name', pattern: 'a' }] }))).toBe('GUARD_PATTERN_INVALID');
  });

  it('survives malformed and huge input', () => {
    expect(detectPii('1'.repeat(200_000) + '\ud800')).toEqual([]);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const fs = detectPii(s);
        for (const f of fs) expect(f.span!.start).toBeLessThan(f.span!.end);
        for (let i = 1; i < fs.length; i++) expect(fs[i]!.span!.start).toBeGreaterThanOrEqual(fs[i - 1]!.span!.end);
      }),
    );
  });
});
