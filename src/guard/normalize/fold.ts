import { CHANGES, charTable, INVISIBLE, MARK, SPACE, WORD } from './char-table.js';
import { identityMapped, MappedBuilder, type Mapped } from './mapped.js';

const isSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdfff;

/**
 * Pass 1: lower-case and NFKC, drop invisible and bidi characters (and Unicode tag characters, which decode.ts reads
 * as ASCII), strip combining marks that sit on an ASCII letter ("zalgo"), turn every white space into ' ', and lone
 * surrogates into U+FFFD. Runs of characters that need none of this are copied in one piece, so ordinary text costs
 * one table lookup per unit.
 */
export function foldClusters(text: string): Mapped {
  const lower = text.toLowerCase();
  // Lower-casing is one unit for one unit except for a few letters (İ → i̇); then work from the original.
  const base = lower.length === text.length ? lower : text;
  const t = charTable();
  // Made at the first unit that changes: text that needs no folding (most of it) maps to itself.
  let b: MappedBuilder | undefined;
  let run = 0;
  let i = 0;
  let prevAscii = false;
  while (i < base.length) {
    const c = base.charCodeAt(i);
    if (c < 0x80 && !(c >= 0x41 && c <= 0x5a) && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13) {
      prevAscii = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
      i++;
      continue;
    }
    const f = isSurrogate(c) ? -1 : t[c]!;
    if (f === 0 || (f & ~WORD) === 0) {
      prevAscii = false;
      i++;
      continue;
    }
    b ??= new MappedBuilder(text.length);
    b.pushOriginal(base, run, i);
    if (f === -1) {
      // A surrogate pair is one code point (astral: mathematical letters, emoji, tag characters); alone it is broken.
      const d = base.charCodeAt(i + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = base.codePointAt(i)!;
        if (!(cp >= 0xe0000 && cp <= 0xe0fff)) {
          const out = String.fromCodePoint(cp).normalize('NFKC').toLowerCase();
          b.push(out, i, i + 2);
          prevAscii = out.length === 1 && out.charCodeAt(0) < 0x80;
        }
        i += 2;
      } else {
        b.push('\ufffd', i, i + 1);
        prevAscii = false;
        i += 1;
      }
    } else if (f & INVISIBLE) {
      i++;
    } else if (f & MARK) {
      // Marks on an ASCII base are decoration; on other scripts they are spelling and stay.
      if (!prevAscii) b.push(base[i]!, i, i + 1);
      i++;
    } else if (f & SPACE || c < 0x20) {
      b.push(' ', i, i + 1);
      prevAscii = false;
      i++;
    } else if (f & CHANGES) {
      const out = base[i]!.normalize('NFKC').toLowerCase();
      b.push(out, i, i + 1);
      prevAscii = out.length === 1 && out.charCodeAt(0) < 0x80;
      i++;
    } else {
      b.push(base[i]!, i, i + 1);
      prevAscii = false;
      i++;
    }
    run = i;
  }
  if (b === undefined) return identityMapped(base);
  b.pushOriginal(base, run, base.length);
  return b.build();
}

const SEPARATORS = ' .-_*·+~';
const isSeparator = (c: number): boolean => c === 32 || c === 46 || c === 45 || c === 95 || c === 42 || c === 0xb7 || c === 43 || c === 126;

function isWordChar(t: string, k: number): boolean {
  if (k < 0 || k >= t.length) return false;
  const c = t.charCodeAt(k);
  if (c < 0x80) return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  return !isSurrogate(c) && (charTable()[c]! & WORD) !== 0;
}

/**
 * Pass 2: "i g n o r e" and "i.g.n.o.r.e" become "ignore". A run is at least three single word characters joined by
 * one and the same separator; anything else (a double space, a longer word) ends it, so spaced-out words stay apart.
 */
export function collapseLetterSpacing(m: Mapped): Mapped {
  const t = m.text;
  const single = (k: number): boolean => isWordChar(t, k) && !isWordChar(t, k - 1) && !isWordChar(t, k + 1);
  // The only shape rewritten is x·y·z (three single characters, one separator): look for it first, cheaply.
  let candidate = false;
  for (let k = 1; k + 3 < t.length && !candidate; k++) {
    const c = t.charCodeAt(k);
    candidate = isSeparator(c) && t.charCodeAt(k + 2) === c && single(k - 1) && single(k + 1) && single(k + 3);
  }
  if (!candidate) return m;
  const b = new MappedBuilder(t.length);
  let i = 0;
  let copied = 0;
  while (i < t.length) {
    if (!SEPARATORS.includes(t[i + 1] ?? '\0') || !single(i)) {
      i++;
      continue;
    }
    const sep = t[i + 1]!;
    const letters = [i];
    let k = i;
    while (t[k + 1] === sep && single(k + 2)) {
      k += 2;
      letters.push(k);
    }
    if (letters.length >= 3) {
      b.pushMapped(m, copied, i);
      for (const x of letters) b.pushMapped(m, x, x + 1);
      copied = k + 1;
    }
    i = k + 1;
  }
  if (copied === 0) return m;
  b.pushMapped(m, copied, t.length);
  return b.build();
}
