import { isIPv6 } from 'node:net';

/** Luhn (ISO/IEC 7812-1 annex B) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of the major card networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
export function cardNetwork(digits: string): string | undefined {
  const n2 = Number(digits.slice(0, 2));
  const n4 = Number(digits.slice(0, 4));
  if (digits[0] === '4' && [13, 16, 19].includes(digits.length)) return 'visa';
  if (((n2 >= 51 && n2 <= 55) || (n4 >= 2221 && n4 <= 2720)) && digits.length === 16) return 'mastercard';
  if ((n2 === 34 || n2 === 37) && digits.length === 15) return 'amex';
  if ((digits.startsWith('6011') || digits.startsWith('65') || (n4 >= 6440 && n4 <= 6499)) && digits.length >= 16) return 'discover';
  if (n4 >= 3528 && n4 <= 3589 && digits.length >= 16) return 'jcb';
  if ((n2 === 36 || n2 === 38 || (n4 >= 3000 && n4 <= 3059)) && digits.length >= 14) return 'diners';
  if (n2 === 62 && digits.length >= 16) return 'unionpay';
  if (['50', '56', '57', '58', '63', '67'].includes(digits.slice(0, 2)) && digits.length >= 12) return 'maestro';
  return undefined;
}

/** IBAN lengths by country (ISO 13616 registry, the countries most often seen). Others: 15–34 with a valid checksum. */
const IBAN_LENGTHS: Record<string, number> = {
  AT: 20, BE: 16, BG: 22, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18, EE: 20, ES: 24, FI: 18, FR: 27, GB: 22, GR: 27, HR: 21,
  HU: 28, IE: 22, IS: 26, IT: 27, LI: 21, LT: 20, LU: 20, LV: 21, MT: 31, NL: 18, NO: 15, PL: 28, PT: 25, RO: 24, SE: 24,
  SI: 19, SK: 24, TR: 26, SA: 24, AE: 23, IL: 23, BR: 29,
};

/** ISO 13616 / ISO 7064 mod 97-10: move the first four characters to the end, letters to 10..35, remainder 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, '').toUpperCase();
  const want = IBAN_LENGTHS[s.slice(0, 2)];
  if (want !== undefined ? s.length !== want : s.length < 15 || s.length > 34) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

/** SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000. */
export function ssnValid(ssn: string): boolean {
  const [a, g, s] = ssn.split(/[- ]/);
  return a !== '000' && a !== '666' && a![0] !== '9' && g !== '00' && s !== '0000';
}

export const ipv6Valid = (s: string): boolean => isIPv6(s);
