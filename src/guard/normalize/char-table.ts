/** Per-character facts for the Basic Multilingual Plane, computed once so the hot loops do one array read per unit. */
export const PLAIN = 0;
/** No visible form: zero-width, bidi controls, joiners, variation selectors, soft hyphen, BOM, fillers. */
export const INVISIBLE = 1;
/** A combining mark (\p{M}). */
export const MARK = 2;
/** White space other than U+0020. */
export const SPACE = 4;
/** NFKC and lower-casing change it. */
export const CHANGES = 8;
/** A letter or digit (\p{L}, \p{N}). */
export const WORD = 16;

/** Code point ranges (inclusive) with no visible form. */
const INVISIBLE_RANGES: [number, number][] = [
  [0x00ad, 0x00ad], [0x034f, 0x034f], [0x061c, 0x061c], [0x115f, 0x1160], [0x17b4, 0x17b5], [0x180b, 0x180f],
  [0x200b, 0x200f], [0x202a, 0x202e], [0x2060, 0x206f], [0x3164, 0x3164], [0xfe00, 0xfe0f], [0xfeff, 0xfeff], [0xffa0, 0xffa0],
];

let table: Uint8Array | undefined;

/** The table, built on first use (about 20 ms: one NFKC per BMP character). */
export function charTable(): Uint8Array {
  if (table !== undefined) return table;
  const t = new Uint8Array(0x10000);
  let all = '';
  for (let c = 0; c < 0x10000; c++) all += c >= 0xd800 && c <= 0xdfff ? ' ' : String.fromCharCode(c);
  for (const [a, z] of INVISIBLE_RANGES) for (let c = a; c <= z; c++) t[c] |= INVISIBLE;
  for (const m of all.matchAll(/\p{M}/gu)) t[m.index] |= MARK;
  for (const m of all.matchAll(/\s/g)) if (m.index !== 0x20) t[m.index] |= SPACE;
  for (const m of all.matchAll(/[\p{L}\p{N}]/gu)) t[m.index] |= WORD;
  for (let c = 0x80; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = all[c]!;
    if (ch.normalize('NFKC').toLowerCase() !== ch) t[c] |= CHANGES;
  }
  for (let c = 0x41; c <= 0x5a; c++) t[c] |= CHANGES;
  table = t;
  return t;
}
