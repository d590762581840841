import { GuardError } from './errors.js';
import type { Guard } from './guard.js';
import { cardNetwork, ibanValid, ipv6Valid, luhnValid, ssnValid } from './pii-checks.js';
import type { GuardFinding } from './verdict.js';
import { allMatches } from './matches.js';

export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | 'ssn' | 'ip';
export const PII_KINDS: readonly PiiKind[] = ['email', 'phone', 'card', 'iban', 'ssn', 'ip'];

/** A caller's own pattern (employee ids, case numbers). Bounded: at most 512 characters, compiled once. */
export interface CustomPattern {
  name: string;
  pattern: string;
  flags?: string;
}

export interface PiiOptions {
  kinds?: readonly PiiKind[];
  custom?: readonly CustomPattern[];
}

const EMAIL = /(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])/g;
// International (+CC …), a parenthesised area code, or North American 3-3-4; 7 to 15 digits (E.164's maximum).
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|\(\d{2,4}\)[ .-]?\d{3,4}[ .-]?\d{3,4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w])/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g;
const SSN = /(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])/g;
const IPV4 = /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.])/g;
const IPV6 = /(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])/g;

const found = (rule: string, kind: string, start: number, end: number, message: string): GuardFinding => ({
  guard: 'pii',
  rule,
  severity: kind === 'card' || kind === 'ssn' || kind === 'iban' ? 'high' : 'medium',
  score: 1,
  span: { start, end },
  message,
});

/** Compiles custom patterns, refusing ones that are too long or invalid, and forcing the global flag. */
export function compileCustom(custom: readonly CustomPattern[]): { name: string; re: RegExp }[] {
  return custom.map((c) => {
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(c.name)) throw new GuardError('GUARD_PATTERN_INVALID', `custom PII pattern name '${c.name}' must be lower-case letters, digits and dashes`);
    if (c.pattern.length > 512) throw new GuardError('GUARD_PATTERN_INVALID', `custom PII pattern '${c.name}' is ${c.pattern.length} characters: keep it under 512`);
    try {
      const flags = [...new Set(`${(c.flags ?? '').replace(/[^imsu]/g, '')}g`)].join('');
      return { name: c.name, re: new RegExp(c.pattern, flags) };
    } catch (err) {
      throw new GuardError('GUARD_PATTERN_INVALID', `custom PII pattern '${c.name}' does not compile: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** Finds personal data; every match is validated (Luhn, IBAN mod 97, SSA rules, address ranges) before it counts. */
export function detectPii(text: string, opts: PiiOptions = {}, custom = compileCustom(opts.custom ?? [])): GuardFinding[] {
  const kinds = new Set(opts.kinds ?? PII_KINDS);
  const out: GuardFinding[] = [];
  if (kinds.has('email')) for (const m of allMatches(text, EMAIL)) out.push(found('pii-email', 'email', m.index, m.index + m[0].length, 'e-mail address'));
  if (kinds.has('card')) {
    for (const m of allMatches(text, CARD)) {
      const digits = m[0].replace(/\D/g, '');
      const network = cardNetwork(digits);
      if (network !== undefined && luhnValid(digits) && !/^(\d)\1+$/.test(digits)) out.push(found('pii-card', 'card', m.index, m.index + m[0].length, `payment card number (${network}, Luhn valid)`));
    }
  }
  if (kinds.has('iban')) for (const m of allMatches(text, IBAN)) if (ibanValid(m[0])) out.push(found('pii-iban', 'iban', m.index, m.index + m[0].length, 'IBAN (checksum valid)'));
  if (kinds.has('ssn')) for (const m of allMatches(text, SSN)) if (ssnValid(m[0])) out.push(found('pii-ssn', 'ssn', m.index, m.index + m[0].length, 'US social security number'));
  if (kinds.has('phone')) {
    for (const m of allMatches(text, PHONE)) {
      const digits = m[0].replace(/\D/g, '').length;
      if (digits < 7 || digits > 15) continue;
      out.push(found('pii-phone', 'phone', m.index, m.index + m[0].length, 'phone number'));
    }
  }
  if (kinds.has('ip')) {
    for (const m of allMatches(text, IPV4)) if (!/(?:version|v)\s*$/i.test(text.slice(Math.max(0, m.index - 9), m.index))) out.push(found('pii-ip', 'ip', m.index, m.index + m[0].length, 'IPv4 address'));
    if (text.includes(':')) for (const m of allMatches(text, IPV6)) if (m[0].split(':').filter((g) => g !== '').length >= 3 && ipv6Valid(m[0])) out.push(found('pii-ip', 'ip', m.index, m.index + m[0].length, 'IPv6 address'));
  }
  for (const c of custom) {
    for (const m of allMatches(text, c.re)) if (m[0].length > 0) out.push({ ...found(`pii-${c.name}`, c.name, m.index, m.index + m[0].length, `custom pattern ${c.name}`), severity: 'medium' });
  }
  return dropOverlaps(out);
}

/** Where two findings overlap (a card number that also looks like a phone number), the earlier-listed kind wins. */
function dropOverlaps(fs: GuardFinding[]): GuardFinding[] {
  const kept: GuardFinding[] = [];
  for (const f of fs) if (!kept.some((k) => f.span!.start < k.span!.end && f.span!.end > k.span!.start)) kept.push(f);
  return kept.sort((a, b) => a.span!.start - b.span!.start);
}

/** The `pii` guard. Redacts by default; with `placeholder` redaction the verdict carries the map to restore it. */
export function piiGuard(opts: PiiOptions = {}): Guard {
  const custom = compileCustom(opts.custom ?? []);
  return {
    name: 'pii',
    description: 'e-mail, phone, payment card (Luhn), IBAN (mod 97), US SSN, IP addresses, custom patterns',
    defaults: { action: 'redact', threshold: 0.5, flagBelow: 0, onError: 'allow', redact: 'placeholder' },
    check: (text) => detectPii(text, opts, custom),
  };
}
