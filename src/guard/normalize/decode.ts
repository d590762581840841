import type { Span } from '../verdict.js';
import { allMatches } from '../matches.js';

export type Encoding = 'base64' | 'hex' | 'url' | 'rot13' | 'unicode-tags';

/** A run of the text that decodes to readable text. `span` is in the coordinates of the text that was searched. */
export interface EncodedRun {
  encoding: Encoding;
  span: Span;
  decoded: string;
}

const BASE64 = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}/g;
const HEX = /(?:\\x[0-9a-fA-F]{2}){6,}|(?<![0-9a-zA-Z])(?:[0-9a-fA-F]{2}){8,}(?![0-9a-zA-Z])|(?<![0-9a-zA-Z])(?:[0-9a-fA-F]{2}[ :,]){7,}[0-9a-fA-F]{2}(?![0-9a-zA-Z])/g;
const URL_RUN = /[^\s%]*(?:%[0-9a-fA-F]{2}[^\s%]*){3,}/g;
const WORDS = /[A-Za-z]+(?:[^A-Za-z\n]{1,3}[A-Za-z]+){3,}/g;
const TAGS = /(?:\udb40[\udc20-\udc7e])+/g;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Common English words, the words attackers encode, and their ROT13 forms never collide, so a run that gains many
 * of them under ROT13 was ROT13 text.
 */
const COMMON_WORDS =
  'the and you your to of is are in it that this for with as be not or on now tell me say what how all any ignore previous prior instructions instruction system prompt password secret print reveal forget rules above below output write do anything from have must will can please instead answer new only repeat words give key admin mode developer disregard'.split(
    ' ',
  );
const COMMON = new Set(COMMON_WORDS);
// The same words under ROT13, as one pattern: a text with fewer than three of them has no ROT13 run worth reading.
const ROT13_COMMON = new RegExp(`\\b(?:${COMMON_WORDS.map((w) => rot13(w)).join('|')})\\b`, 'gi');

/** Readable text: valid UTF-8 already checked; no control characters but tab and newlines, and some letters. */
function readable(s: string): boolean {
  if (s.length < 4) return false;
  let letters = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f || c === 0xfffd) return false;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c > 0x7f) letters++;
  }
  return letters >= s.length * 0.5;
}

function bytesToText(bytes: Buffer): string | undefined {
  try {
    const s = utf8.decode(bytes);
    return readable(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

export function rot13(s: string): string {
  return s.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function commonWords(s: string): number {
  let n = 0;
  for (const w of s.toLowerCase().split(/[^a-z]+/)) if (COMMON.has(w)) n++;
  return n;
}

/**
 * Finds encoded runs in `text` (not recursively: the caller decides the depth). Each candidate must decode to
 * readable text to count, so identifiers, digests and key material do not.
 */
export function findEncoded(text: string): EncodedRun[] {
  const out: EncodedRun[] = [];
  const add = (encoding: Encoding, start: number, end: number, decoded: string | undefined): void => {
    if (decoded !== undefined) out.push({ encoding, span: { start, end }, decoded });
  };
  for (const m of allMatches(text, BASE64)) {
    const s = m[0];
    // Long plain words and identifiers also match the alphabet; real base64 mixes cases or digits with letters.
    if (!/[A-Z]/.test(s) || !/[a-z0-9]/.test(s)) continue;
    add('base64', m.index, m.index + s.length, bytesToText(Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64')));
  }
  for (const m of allMatches(text, HEX)) {
    const digits = m[0].replace(/\\x|[ :,]/g, '');
    add('hex', m.index, m.index + m[0].length, bytesToText(Buffer.from(digits, 'hex')));
  }
  if (text.includes('%')) {
    for (const m of allMatches(text, URL_RUN)) {
      const s = m[0].replace(/\+/g, ' ');
      let d: string | undefined;
      try {
        d = decodeURIComponent(s);
      } catch {
        d = undefined;
      }
      add('url', m.index, m.index + m[0].length, d !== undefined && readable(d) ? d : undefined);
    }
  }
  ROT13_COMMON.lastIndex = 0;
  let rotHits = 0;
  while (rotHits < 3 && ROT13_COMMON.exec(text) !== null) rotHits++;
  ROT13_COMMON.lastIndex = 0;
  for (const m of rotHits < 3 ? [] : allMatches(text, WORDS)) {
    const s = m[0];
    const before = commonWords(s);
    const r = rot13(s);
    const after = commonWords(r);
    if (after >= 3 && after > 2 * before + 1) add('rot13', m.index, m.index + s.length, r);
  }
  if (text.includes('\udb40')) {
    for (const m of allMatches(text, TAGS)) {
      let d = '';
      for (let k = 0; k < m[0].length; k += 2) d += String.fromCharCode(m[0].charCodeAt(k + 1) - 0xdc00);
      add('unicode-tags', m.index, m.index + m[0].length, d.length > 0 ? d : undefined);
    }
  }
  return out;
}
